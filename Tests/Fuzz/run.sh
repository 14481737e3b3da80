#!/usr/bin/env bash
# libFuzzer targets for SalesKit's request parsers and form binder (issue #8).
#
#   Tests/Fuzz/run.sh                        build the four targets, run each for $FUZZ_SECONDS
#   FUZZ_SECONDS=20 Tests/Fuzz/run.sh        what CI runs (`make fuzz-ci`)
#   Tests/Fuzz/run.sh FuzzCookie FuzzMultipart   only these targets
#   SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 .build-fuzz/bin/FuzzMultipart FILE...
#                                            replay inputs (a crash artifact); the stack trace
#                                            names the Swift file and line (the Swift backtracer
#                                            would hang under ASan, so it is turned off)
#
# Environment: FUZZ_SECONDS (default 300) per target; FUZZ_JOBS targets at once (default: the
# number of cores); FUZZ_BUILD_ONLY=1 to stop after building; SWIFTC (default: swiftc on PATH,
# else /opt/swift/usr/bin/swiftc).
#
# Each target is one Swift file compiled in one module with the SalesKit sources it needs (no
# SwiftPM: `-sanitize=fuzzer` has to reach every file). Work files live in .build-fuzz/: bin/,
# corpus/<target>/ (a working copy that grows across runs, seeded from the committed
# Tests/Fuzz/corpus/<target>/), crashes/ (artifacts), logs/. Exits 1 when any target finds a
# crash, a hang (an input over 10 s) or an out-of-memory, after printing the input's path.
# A crash becomes a regression test in Tests/SalesKitTests/FuzzRegressionTests.swift.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FUZZ_DIR=$ROOT/Tests/Fuzz
OUT=$ROOT/.build-fuzz
SECONDS_PER_TARGET=${FUZZ_SECONDS:-300}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
if [ -z "${SWIFTC:-}" ]; then
    SWIFTC=$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)
fi
[ -x "$SWIFTC" ] || { echo "fuzz: swiftc not found (set SWIFTC)" >&2; exit 2; }

KIT=Sources/SalesKit
HTTP_URL="$KIT/HTTP/Request.swift $KIT/HTTP/URLEncoding.swift"
ALL_TARGETS=(FuzzURLEncoded FuzzMultipart FuzzCookie FuzzFormBinder)

# Per target: SalesKit sources compiled with it, -max_len, sanitizers. The parser targets get
# AddressSanitizer too (MultipartParser.find reads through an unsafe buffer pointer, where -O
# does no bounds checks); the binder is safe Swift only, where ASan would cost 3× the speed.
sources() {
    case $1 in
        FuzzURLEncoded | FuzzCookie) echo "$HTTP_URL" ;;
        FuzzMultipart) echo "$HTTP_URL $KIT/HTTP/Multipart.swift" ;;
        FuzzFormBinder) (cd "$ROOT" && find "$KIT" -name '*.swift' | sort | tr '\n' ' ') ;;
    esac
}
max_len() {
    case $1 in
        FuzzURLEncoded) echo 16384 ;;
        FuzzMultipart) echo 65536 ;;
        FuzzCookie) echo 8192 ;;
        FuzzFormBinder) echo 16384 ;;
    esac
}
sanitizers() {
    case $1 in
        FuzzFormBinder) echo fuzzer ;;
        *) echo fuzzer,address ;;
    esac
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
    [ -f "$FUZZ_DIR/$t.swift" ] && [ -n "$(max_len "$t")" ] || { echo "fuzz: unknown target $t" >&2; exit 2; }
done

mkdir -p "$OUT/bin" "$OUT/logs" "$OUT/crashes" "$OUT/corpus"
cd "$ROOT"

# ---- build (in parallel; skipped when the binary is newer than its sources and this script) --
build() {
    local t=$1 bin=$OUT/bin/$1 src
    src="$FUZZ_DIR/$t.swift $(sources "$t")"
    # shellcheck disable=SC2086
    if [ -x "$bin" ] && [ -z "$(find $src "$FUZZ_DIR/run.sh" -newer "$bin" 2>/dev/null)" ]; then
        return 0
    fi
    # shellcheck disable=SC2086
    "$SWIFTC" -sanitize="$(sanitizers "$t")" -parse-as-library -O -wmo -swift-version 6 -gline-tables-only \
        -module-name "$t" $src -o "$bin.tmp" >"$OUT/logs/$t.build.log" 2>&1 && mv "$bin.tmp" "$bin"
}

start=$(date +%s)
pids=()
for t in "${targets[@]}"; do build "$t" & pids+=($!); done
failed=0
for i in "${!targets[@]}"; do
    if ! wait "${pids[$i]}"; then
        echo "fuzz: building ${targets[$i]} failed:" >&2
        cat "$OUT/logs/${targets[$i]}.build.log" >&2
        failed=1
    else
        # ld.gold's "Cannot export local symbol '__asan_…'" warnings are noise from ASan's runtime.
        grep "warning:" "$OUT/logs/${targets[$i]}.build.log" | grep -v "Cannot export local symbol" >&2 || true
    fi
done
[ $failed = 0 ] || exit 2
echo "fuzz: built ${targets[*]} in $(($(date +%s) - start)) s"
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

# ---- run (FUZZ_JOBS at a time) ---------------------------------------------------------------
run() {
    local t=$1 corpus=$OUT/corpus/$1 dict=() f
    mkdir -p "$corpus"
    for f in "$FUZZ_DIR/corpus/$t"/*; do
        [ -e "$corpus/$(basename "$f")" ] || cp "$f" "$corpus/"
    done
    [ -f "$FUZZ_DIR/$t.dict" ] && dict=(-dict="$FUZZ_DIR/$t.dict")
    # libFuzzer handles crashes itself (the Swift backtracer would take its signals); leak
    # checking is off: Swift's lazily initialised globals look like leaks to LSan.
    set +e
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 \
        timeout -k 10 $((SECONDS_PER_TARGET + 120)) \
        "$OUT/bin/$t" -max_total_time="$SECONDS_PER_TARGET" -max_len="$(max_len "$t")" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" -artifact_prefix="$OUT/crashes/$t-" \
        "$corpus" >"$OUT/logs/$t.log" 2>&1
    echo $? >"$OUT/logs/$t.rc"
}

echo "fuzz: running each target for $SECONDS_PER_TARGET s, $JOBS at a time (logs in .build-fuzz/logs/)"
running=0
for t in "${targets[@]}"; do
    if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
    run "$t" &
    running=$((running + 1))
done
wait

status=0
for t in "${targets[@]}"; do
    log=$OUT/logs/$t.log
    rc=$(cat "$OUT/logs/$t.rc")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1 || true)
    cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1)
    corp=$(find "$OUT/corpus/$t" -type f | wc -l)
    if [ "$rc" = 0 ]; then
        printf 'fuzz: %-15s ok    %10s runs  %6s exec/s  %s  corpus %s\n' "$t" "${execs:-?}" "${speed:-?}" "${cov:-}" "$corp"
    else
        status=1
        printf 'fuzz: %-15s FAILED (exit %s) after %s runs\n' "$t" "$rc" "${execs:-?}"
        (grep -E 'Fatal error|Swift runtime failure|ERROR: (libFuzzer|AddressSanitizer)|SUMMARY|timeout after' "$log" || true) | head -8 | sed 's/^/    /'
        artifacts=$(sed -n "s/.*Test unit written to //p" "$log" || true)
        if [ -n "$artifacts" ]; then
            for a in $artifacts; do
                echo "    crashing input: $a"
                echo "    replay:         SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 $OUT/bin/$t $a"
            done
        else
            echo "    no artifact written; see $log"
        fi
    fi
done
echo "fuzz: done in $(($(date +%s) - start)) s"
exit $status
