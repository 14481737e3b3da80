#!/usr/bin/env bash
# Builds the Debian package build/salesd_<version>_amd64.deb (issue 18) from a release binary
# built with the Swift runtime linked statically:
#
#     swift build -c release --static-swift-stdlib --product salesd
#     deploy/debian/build-deb.sh                 # or: make deb
#
# Options (environment): BIN (default .build/release/salesd), VERSION (default: `salesd
# --version`), OUT (default build/). No fakeroot: `dpkg-deb --root-owner-group` makes every
# file root's.
#
# The sources stay where the from-source install (deploy/install.sh) reads them; this script
# rewrites only their paths for the package:
#   /opt/sales/bin/salesd  -> /usr/bin/salesd
#   /opt/sales/Web         -> /usr/share/salesd/Web        (templates + static files)
#   /opt/sales/Plugins     -> /usr/share/salesd/Plugins    (<Module>/templates)
#   /var/lib/sales         -> /var/lib/salesd              (StateDirectory=salesd)
# and fails if an old path is left in anything it packs.
set -euo pipefail

cd "$(dirname "$0")/../.."
REPO=$(pwd)
HERE=$REPO/deploy/debian
BIN=${BIN:-$REPO/.build/release/salesd}
OUT=${OUT:-$REPO/build}

die() { printf 'build-deb.sh: %s\n' "$*" >&2; exit 1; }

[[ -x $BIN ]] || die "$BIN not found; build first: swift build -c release --static-swift-stdlib --product salesd"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
VERSION=${VERSION:-$("$BIN" --version | awk '{print $NF}')}
[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "not a Debian version: '$VERSION' (from $BIN --version)"
ARCH=$(dpkg --print-architecture)

# --- The binary needs Debian's libraries only -------------------------------------------------
libs=$(ldd "$BIN") || die "ldd $BIN failed"
if grep -q 'not found' <<<"$libs"; then die "$BIN needs libraries this host lacks: $(grep 'not found' <<<"$libs" | tr -s ' \t' ' ')"; fi
if grep -Eq 'libswift|libFoundation|libdispatch|libBlocksRuntime' <<<"$libs"; then
    die "$BIN links the Swift runtime dynamically; rebuild with: swift build -c release --static-swift-stdlib"
fi
# Depends: the packages named in control.in plus the package of every other library ldd lists
# (what dpkg-shlibdeps would add: libc6, libstdc++6, libgcc-s1, zlib1g …).
declared=$(sed -n 's/^Depends: //p' "$HERE/control.in" | tr ',' '\n' | sed 's/^ *//; s/ .*//; /@/d')
extra=""
for path in $(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$libs" | sort -u); do
    real=$(readlink -f "$path")
    pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null) || die "no Debian package owns $path (linked by $BIN)"
    pkg=${pkg%%:*}
    grep -qx "$pkg" <<<"$declared" || [[ " $extra " == *" $pkg "* ]] || extra="$extra $pkg"
done
for needed in libfcgi libsqlite3 libargon2; do
    grep -q "$needed" <<<"$libs" || die "$BIN does not link $needed: is it the salesd binary?"
done
extra_depends=$(echo $extra | sed 's/ /, /g')

# --- Staging tree ------------------------------------------------------------------------------
umask 022
STAGE=$OUT/deb/salesd_${VERSION}_$ARCH
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/usr/bin" "$STAGE/usr/share/salesd/Plugins" "$STAGE/lib/systemd/system" \
         "$STAGE/etc/nginx/sites-available" "$STAGE/etc/sales" "$STAGE/usr/share/doc/salesd"

# Program: debug info stripped (symbols kept, so crash backtraces still name functions).
cp "$BIN" "$STAGE/usr/bin/salesd"
strip --strip-debug "$STAGE/usr/bin/salesd"
chmod 0755 "$STAGE/usr/bin/salesd"

# Templates and static files, in the layout the binary expects (webDir, pluginsDir).
cp -R "$REPO/Web" "$STAGE/usr/share/salesd/Web"
for tpl in "$REPO"/Plugins/*/templates; do
    [[ -d $tpl ]] || continue
    name=$(basename "$(dirname "$tpl")")
    mkdir -p "$STAGE/usr/share/salesd/Plugins/$name"
    cp -R "$tpl" "$STAGE/usr/share/salesd/Plugins/$name/templates"
done

# Paths of the from-source install -> the package's.
repath() {
    sed -e 's#/opt/sales/bin/salesd#/usr/bin/salesd#g' \
        -e 's#/opt/sales/Web#/usr/share/salesd/Web#g' \
        -e 's#/opt/sales/Plugins#/usr/share/salesd/Plugins#g' \
        -e 's#^WorkingDirectory=/opt/sales$#WorkingDirectory=/usr/share/salesd#' \
        -e 's#/var/lib/sales\b#/var/lib/salesd#g' \
        -e '/^StateDirectory=/ s#\bsales\b#salesd#g' \
        -e 's#(see deploy/README.md)#(see /usr/share/doc/salesd/README.md.gz)#' \
        "$@"
}

# systemd units: deploy/systemd is the source; the header says how to change them here.
for unit in salesd.service salesd.socket salesd-backup.service salesd-backup.timer; do
    {
        echo "# Installed by the salesd package (upgrades replace this file). Do not edit it:"
        echo "# change settings with a drop-in, \`systemctl edit ${unit}\` (kept across upgrades)."
        # The source's own "# Install:" notes (and their indented continuation lines) are for
        # the from-source install: left out.
        repath "$REPO/deploy/systemd/$unit" | awk '/^# Install: / {skip = 1; next} skip && /^#         / {next} {skip = 0; print}'
    } > "$STAGE/lib/systemd/system/$unit"
done

# nginx site (conffile): the source's header comment replaced by the package's.
{
    cat <<'EOF'
# nginx site for the sales-management system (salesd FastCGI responder), installed by the
# salesd package as a configuration file: your edits (server_name, HTTPS, …) are kept across
# upgrades; when a new version also changes this file, dpkg asks which one to keep and leaves
# the other beside it (salesd.conf.dpkg-dist or .dpkg-old).
#
# Enabled on first install as /etc/nginx/sites-enabled/salesd.conf (a symlink); after an edit:
#           nginx -t && systemctl reload nginx
#
# salesd listens on a systemd-owned socket: /run/salesd/salesd.sock
# (salesd.socket; group www-data, mode 0660, so nginx can connect).
EOF
    repath "$REPO/deploy/nginx/sales.conf" | sed '1,/^$/d'
} > "$STAGE/etc/nginx/sites-available/salesd.conf"

# Configuration (conffile): the example with the package's paths; every key checked to exist.
python3 - "$REPO/deploy/salesd.json.example" "$STAGE/etc/sales/salesd.json" <<'EOF'
import json, sys
src, dst = sys.argv[1:]
config = json.load(open(src, encoding="utf-8"))
paths = {"dataDir": "/var/lib/salesd", "webDir": "/usr/share/salesd/Web", "pluginsDir": "/usr/share/salesd/Plugins", "listen": "inherit"}
for key, value in paths.items():
    if key not in config:
        sys.exit(f"build-deb.sh: {src} has no key {key!r}")
    config[key] = value
with open(dst, "w", encoding="utf-8") as f:
    f.write(json.dumps(config, ensure_ascii=False, indent=2) + "\n")
EOF

# Documentation; the Apache httpd and lighttpd sites as examples, with the package's paths.
for fe in apache lighttpd; do
    mkdir -p "$STAGE/usr/share/doc/salesd/examples/$fe"
    repath "$REPO/deploy/$fe/sales.conf" > "$STAGE/usr/share/doc/salesd/examples/$fe/sales.conf"
done
cp "$HERE/copyright" "$STAGE/usr/share/doc/salesd/copyright"
cp "$REPO/deploy/README.md" "$STAGE/usr/share/doc/salesd/README.md"
gzip -9n "$STAGE/usr/share/doc/salesd/README.md"
printf 'salesd (%s) stable; urgency=medium\n\n  * Built from %s.\n\n -- Sales system maintainers <it@example.com>  %s\n' \
    "$VERSION" "$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo 'a source tree')" "$(date -R -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")" \
    | gzip -9n > "$STAGE/usr/share/doc/salesd/changelog.gz"   # a native package: changelog.gz
mkdir -p "$STAGE/usr/share/lintian/overrides"
cp "$HERE/lintian-overrides" "$STAGE/usr/share/lintian/overrides/salesd"

# No path of the from-source install may be left in anything packed.
if left=$(grep -rIlE '/opt/sales|/var/lib/sales([^d]|$)|StateDirectory=.*\bsales\b' "$STAGE" --exclude-dir=DEBIAN --exclude=README.md.gz); then
    die "old paths left in: $left"
fi

# --- Control files -----------------------------------------------------------------------------
for script in preinst postinst prerm postrm; do
    install -m 0755 "$HERE/$script" "$STAGE/DEBIAN/$script"
done
install -m 0644 "$HERE/conffiles" "$STAGE/DEBIAN/conffiles"
while read -r conffile; do
    [[ -f $STAGE$conffile ]] || die "conffile $conffile is not in the package"
done < "$HERE/conffiles"
size=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@INSTALLED_SIZE@/$size/" \
    -e "s/, @EXTRA_DEPENDS@/${extra_depends:+, $extra_depends}/" "$HERE/control.in" > "$STAGE/DEBIAN/control"
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$STAGE/DEBIAN/md5sums"

chmod -R u+rwX,go+rX,go-w "$STAGE"
if [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then
    find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
fi

DEB=$OUT/salesd_${VERSION}_$ARCH.deb
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
echo "built $DEB ($(du -h "$DEB" | cut -f1); installs $(( size / 1024 )) MiB)"
dpkg-deb --field "$DEB" Package Version Depends
