#!/usr/bin/env python3
"""trapcheck — find Swift constructs that trap (end the whole process) in request code.

Issue 12, "No traps in request code": a trap in Swift kills the FastCGI responder, not just
the request. This scanner lists the constructs that trap on a bad value so that each one is
replaced by a guard that throws (HTTPError, StorageError, FormRejection …) or is allowlisted
with a reason.

    python3 Tests/lint/trapcheck.py              scan; exit 1 on a finding not in the allowlist
    python3 Tests/lint/trapcheck.py --self-test  run the scanner on built-in fixtures
    python3 Tests/lint/trapcheck.py FILE...      scan only these files (paths as given)

Scanned: every *.swift under Sources/SalesKit, Sources/SalesHost, Sources/salesd and Plugins.

Patterns (the name is the second column of a finding and of an allowlist entry):
  try!                 `try!`
  as!                  `as!`
  force-unwrap         postfix `!` right after an identifier, `)`, `]`, `}` or `>` (not `!=` / `!==`);
                       an implicitly unwrapped type (`var x: Int!`) is reported too
  fatalError           `fatalError(`
  precondition         `precondition(`
  preconditionFailure  `preconditionFailure(`
  unsafeBitCast        `unsafeBitCast`
  narrowing-init       `Int8( Int16( Int32( UInt8( UInt16( UInt32( UInt(` whose first argument
                       is not labelled `clamping:`, `truncatingIfNeeded:`, `exactly:`,
                       `bitPattern:` or `ascii:` (the unlabelled initialiser traps when the
                       value does not fit, and from a Double on NaN/infinity too)

Deliberately left out (pragmatic, to keep the noise down):
  * plain `Int(` / `Int64(` / `UInt64(` — on 64-bit platforms these almost always convert a
    String (failable, no trap) or Int/Int64/Int32 (cannot overflow). `Int(someDouble)` does trap
    on NaN/infinity/out of range, and `UInt64(negative)` traps: reviewers still look for those.
  * unchecked arithmetic (`+ - *` overflow), division by zero, array index out of range,
    `Dictionary(uniqueKeysWithValues:)` with duplicate keys, `removeFirst()` on an empty
    collection, ranges with `lo > hi`: these need types and data flow, not a lexer. Values
    from a request or the database are bounded at parse time (FormSchema's default ranges,
    Money.parse) and multiplied with `multipliedReportingOverflow`.
  * `assert`/`assertionFailure` — not compiled into release builds.

Comments (`//`, `///`, nested `/* */`) and string literals (`"…"`, multi-line `\"\"\"…\"\"\"`, raw
`#"…"#`) are blanked before matching. The code inside a string interpolation `\\( … )` is
scanned like any other code (a `!` there traps just the same).

Allowlist: Tests/lint/trap-allowlist.txt, one entry per line

    path:pattern:exact trimmed source line  # reason

`path` is relative to the repository root, `pattern` a name above, and the snippet the whole
source line with leading/trailing blanks removed — no line numbers, so edits elsewhere in the
file do not break the entry. The reason (after two spaces, `#`, a space) is required. Blank
lines and lines starting with `#` are ignored. An entry that matches nothing is reported as
stale on stderr (a warning, not a failure).

Output: `file:line: pattern: source line` per finding; allowlisted ones are not printed
(`--all` prints them too, marked `[allowed]`). Exit status: 0 clean, 1 findings, 2 bad usage
or a malformed allowlist.
"""

from __future__ import annotations

import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SCAN_DIRS = ["Sources/SalesKit", "Sources/SalesHost", "Sources/salesd", "Plugins"]
ALLOWLIST = os.path.join(ROOT, "Tests", "lint", "trap-allowlist.txt")

PATTERN_NAMES = ["try!", "as!", "force-unwrap", "fatalError", "precondition", "preconditionFailure",
                 "unsafeBitCast", "narrowing-init"]


# ---------------------------------------------------------------------------------------------
# Lexing: blank comments and string contents, keep code (and code inside interpolations).
# ---------------------------------------------------------------------------------------------

def mask(source: str) -> str:
    """The source with the same length and line breaks, where every character of a comment or
    of a string literal's text is a space. Quote characters stay (as `"`), so `"a"` becomes
    `" "`; the code of a string interpolation `\\(…)` is kept as code."""
    out = list(source)
    n = len(source)
    i = 0
    # Stack of contexts. ("code", depth) — depth counts open parentheses inside an
    # interpolation (the bottom context is never closed by a parenthesis);
    # ("str", hashes, multiline) — inside a string literal.
    stack: list[tuple] = [("code", -1)]

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        top = stack[-1]
        c = source[i]
        if top[0] == "code":
            if source.startswith("//", i):
                j = source.find("\n", i)
                j = n if j < 0 else j
                blank(i, j)
                i = j
                continue
            if source.startswith("/*", i):
                depth, j = 1, i + 2
                while j < n and depth:
                    if source.startswith("/*", j):
                        depth += 1
                        j += 2
                    elif source.startswith("*/", j):
                        depth -= 1
                        j += 2
                    else:
                        j += 1
                blank(i, j)
                i = j
                continue
            m = re.compile(r'(#*)("""|")').match(source, i)
            if m and (m.group(1) == "" or c == "#"):
                # A `#` run only starts a raw string when a quote follows it directly.
                hashes = len(m.group(1))
                multiline = m.group(2) == '"""'
                blank(i, m.end())
                for k in range(m.start(2), m.end(2)):
                    out[k] = '"'
                stack.append(("str", hashes, multiline))
                i = m.end()
                continue
            if c == "(":
                if top[1] >= 0:
                    stack[-1] = ("code", top[1] + 1)
                i += 1
                continue
            if c == ")":
                if top[1] == 0:
                    # End of an interpolation: back into the string.
                    stack.pop()
                    out[i] = " "
                elif top[1] > 0:
                    stack[-1] = ("code", top[1] - 1)
                i += 1
                continue
            i += 1
            continue

        # Inside a string literal.
        _, hashes, multiline = top
        closer = ('"""' if multiline else '"') + "#" * hashes
        escape = "\\" + "#" * hashes
        if source.startswith(closer, i):
            for k in range(i, i + len(closer)):
                out[k] = '"' if source[k] == '"' else " "
            stack.pop()
            i += len(closer)
            continue
        if source.startswith(escape, i):
            j = i + len(escape)
            if j < n and source[j] == "(":
                blank(i, j + 1)
                stack.append(("code", 0))
                i = j + 1
                continue
            blank(i, j + 1)
            i = j + 1
            continue
        if c == "\n" and not multiline:
            # An unterminated single-line string ends at the line break (the compiler would
            # reject it; do not let it swallow the rest of the file).
            stack.pop()
            i += 1
            continue
        if c != "\n":
            out[i] = " "
        i += 1
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------

RE_TRY = re.compile(r"\btry!")
RE_AS = re.compile(r"\bas!")
# `x!`, `f()!`, `a[0]!`, `xs.first { … }!`, `Array<Int>!` — a postfix `!` not starting `!=` / `!==`.
RE_BANG = re.compile(r"(?<=[\w\)\]\}>])!(?!=)")
RE_CALLS = [
    ("fatalError", re.compile(r"\bfatalError\s*\(")),
    ("preconditionFailure", re.compile(r"\bpreconditionFailure\s*\(")),
    ("precondition", re.compile(r"\bprecondition\s*\(")),
    ("unsafeBitCast", re.compile(r"\bunsafeBitCast\b")),
]
RE_NARROW = re.compile(r"(?<![\w.])(Int8|Int16|Int32|UInt8|UInt16|UInt32|UInt)\s*\(")
SAFE_LABELS = re.compile(r"\s*(clamping|truncatingIfNeeded|exactly|bitPattern|ascii)\s*:")
KEYWORD_BEFORE_BANG = re.compile(r"\b(try|as)$")


def scan_masked(masked: str) -> list[tuple[int, str]]:
    """(line number, pattern) for every finding in a masked source."""
    found: list[tuple[int, str]] = []
    for lineno, line in enumerate(masked.split("\n"), 1):
        for m in RE_TRY.finditer(line):
            found.append((lineno, "try!"))
        for m in RE_AS.finditer(line):
            found.append((lineno, "as!"))
        for m in RE_BANG.finditer(line):
            if KEYWORD_BEFORE_BANG.search(line[: m.start()]):
                continue  # `try!` / `as!`, reported above
            found.append((lineno, "force-unwrap"))
        for name, rx in RE_CALLS:
            for m in rx.finditer(line):
                found.append((lineno, name))
        for m in RE_NARROW.finditer(line):
            if SAFE_LABELS.match(line, m.end()):
                continue
            found.append((lineno, "narrowing-init"))
    return found


class Finding:
    def __init__(self, path: str, line: int, pattern: str, source: str):
        self.path, self.line, self.pattern, self.source = path, line, pattern, source

    def key(self) -> tuple[str, str, str]:
        return (self.path, self.pattern, self.source.strip())

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.pattern}: {self.source.strip()}"


def scan_text(path: str, text: str) -> list[Finding]:
    lines = text.split("\n")
    findings = []
    seen = set()
    for lineno, pattern in scan_masked(mask(text)):
        if (lineno, pattern) in seen:
            continue  # one report per line and pattern
        seen.add((lineno, pattern))
        findings.append(Finding(path, lineno, pattern, lines[lineno - 1]))
    return findings


def swift_files() -> list[str]:
    files = []
    for d in SCAN_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, d)):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(".swift"):
                    files.append(os.path.relpath(os.path.join(dirpath, f), ROOT))
    return files


# ---------------------------------------------------------------------------------------------
# Allowlist
# ---------------------------------------------------------------------------------------------

def load_allowlist(path: str) -> dict[tuple[str, str, str], str]:
    entries: dict[tuple[str, str, str], str] = {}
    if not os.path.exists(path):
        return entries
    errors = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            body, sep, reason = line.partition("  # ")
            parts = body.split(":", 2)
            if not sep or not reason.strip():
                errors.append(f"{path}:{n}: an entry needs a reason after '  # '")
                continue
            if len(parts) != 3 or parts[1] not in PATTERN_NAMES or not parts[2].strip():
                errors.append(f"{path}:{n}: expected 'path:pattern:snippet  # reason' with pattern one of {', '.join(PATTERN_NAMES)}")
                continue
            entries[(parts[0].strip(), parts[1], parts[2].strip())] = reason.strip()
    if errors:
        for e in errors:
            print(e, file=sys.stderr)
        sys.exit(2)
    return entries


# ---------------------------------------------------------------------------------------------
# Self-test
# ---------------------------------------------------------------------------------------------

# (fixture, the patterns it must produce — as a sorted list, one per line and pattern)
FIXTURES: list[tuple[str, list[str]]] = [
    ("let a = try! f()", ["try!"]),
    ("let a = b as! String", ["as!"]),
    ("let a = b!", ["force-unwrap"]),
    ("let a = f()!.x", ["force-unwrap"]),
    ("let a = xs[0]!", ["force-unwrap"]),
    ("let a = b!.c!", ["force-unwrap"]),
    ("var x: Int!", ["force-unwrap"]),
    ("let a = xs.first { $0 > 1 }!", ["force-unwrap"]),
    ("var a: Array<Int>!", ["force-unwrap"]),
    ('let s = "\\(d!.year)"', ["force-unwrap"]),                 # code inside an interpolation
    ('let s = "a \\(f("x)")) \\(g["k"]!)"', ["force-unwrap"]),   # nested string, then a `!`
    ("fatalError(\"boom\")", ["fatalError"]),
    ("precondition(x > 0)", ["precondition"]),
    ("preconditionFailure(\"no\")", ["preconditionFailure"]),
    ("let p = unsafeBitCast(f, to: T.self)", ["unsafeBitCast"]),
    ("let n = Int32(count)", ["narrowing-init"]),
    ("let n = UInt32(x)", ["narrowing-init"]),
    ("let n = Int16(x) + Int8(y)", ["narrowing-init"]),
    ("let n = UInt8(x)", ["narrowing-init"]),
    ("let n = UInt16(x)", ["narrowing-init"]),
    ("let n = UInt(x)", ["narrowing-init"]),
    # Not findings.
    ("if a != b { }", []),
    ("if !a { }", []),
    ("if a !== b { }", []),
    ("if a > !b { }", []),
    ("let f = { x in !x }", []),
    ("if x.isEmpty || !y { }", []),
    ("let n = Int32(clamping: count)", []),
    ("let n = Int32(truncatingIfNeeded: count)", []),
    ("guard let n = Int32(exactly: count) else { throw E() }", []),
    ("let n = UInt32(bitPattern: x)", []),
    ("let c = UInt8(ascii: \"a\")", []),
    ("let n = Int(s) ?? 0", []),
    ("let n = x.toUInt32(x)", []),
    ("// let a = b! try! as! fatalError( Int32(x)", []),
    ("/// A doc comment: x! try!", []),
    ("let a = 1 /* b! /* nested c! */ d! */ + 2", []),
    ('let s = "hello! try! x! fatalError( Int32(y)"', []),
    ('let s = "a\\"b!"', []),
    ('let s = #"raw "quoted"! \\(x!) "#', []),                   # no interpolation in a raw string
    ('let s = """\n  line! try! x!\n  \\(a + b)\n  """', []),
    ("let x = a?.b ?? c", []),
]

MULTILINE_FIXTURE = '''import Foundation
/* header
   with x! inside */
let sql = """
    SELECT * FROM t WHERE a != 1 -- x!
    AND b = \\(v.string("b"))
    """
let bad = y!
let s = #"""
  raw """ x! "#
  """#
let ok = z != nil
let also = w!  // trailing comment x!
'''


def self_test() -> int:
    failures = 0
    for text, want in FIXTURES:
        got = sorted(set(p for _, p in scan_masked(mask(text))))
        if got != sorted(want):
            failures += 1
            print(f"self-test FAILED: {text!r}: expected {sorted(want)}, got {got}")
    got = [(f.line, f.pattern) for f in scan_text("fixture.swift", MULTILINE_FIXTURE)]
    want = [(8, "force-unwrap"), (13, "force-unwrap")]
    if got != want:
        failures += 1
        print(f"self-test FAILED: multi-line fixture: expected {want}, got {got}")
    # The mask keeps length and line breaks (line numbers stay right).
    masked = mask(MULTILINE_FIXTURE)
    if len(masked) != len(MULTILINE_FIXTURE) or masked.count("\n") != MULTILINE_FIXTURE.count("\n"):
        failures += 1
        print("self-test FAILED: the mask changed the length or the line breaks")
    # Every pattern name is exercised by at least one fixture.
    covered = {p for _, ps in FIXTURES for p in ps}
    missing = set(PATTERN_NAMES) - covered
    if missing:
        failures += 1
        print(f"self-test FAILED: no fixture for {sorted(missing)}")
    # Allowlist matching ignores line numbers and surrounding blanks.
    f = Finding("Plugins/X.swift", 12, "force-unwrap", "    let u = URL(string: \"https://x\")!   ")
    if f.key() != ("Plugins/X.swift", "force-unwrap", 'let u = URL(string: "https://x")!'):
        failures += 1
        print("self-test FAILED: allowlist key")
    if failures:
        print(f"trapcheck self-test: {failures} failure(s)")
        return 1
    print(f"trapcheck self-test: {len(FIXTURES) + 4} checks passed")
    return 0


# ---------------------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    flags = {a for a in argv if a.startswith("--")}
    unknown = flags - {"--self-test", "--all"}
    if unknown:
        print(f"trapcheck: unknown option {' '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if "--self-test" in flags:
        return self_test()
    allow = load_allowlist(ALLOWLIST)
    files = args or swift_files()
    used = set()
    bad = 0
    for rel in files:
        path = rel if os.path.isabs(rel) else os.path.join(ROOT, rel)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        for finding in scan_text(os.path.relpath(path, ROOT), text):
            if finding.key() in allow:
                used.add(finding.key())
                if "--all" in flags:
                    print(f"{finding}  [allowed]")
                continue
            bad += 1
            print(finding)
    if not args:
        for key in sorted(set(allow) - used):
            print(f"trapcheck: warning: stale allowlist entry {':'.join(key)}", file=sys.stderr)
    if bad:
        print(f"trapcheck: {bad} finding(s) not in {os.path.relpath(ALLOWLIST, ROOT)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
