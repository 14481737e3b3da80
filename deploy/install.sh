#!/usr/bin/env bash
# Installs a release build of salesd into /opt/sales and wires it up with
# systemd (socket activation) and nginx. Debian 12. Run as root:
#
#     swift build -c release --static-swift-stdlib --product salesd   # as a normal user
#     sudo deploy/install.sh
#
# The from-source alternative. Prefer the Debian package (`make deb`, then
# `apt install ./salesd_<version>_amd64.deb` on the server, no Swift there;
# see deploy/README.md): its upgrades keep an edited nginx site and config.
#
# Safe to run again: that is also how you upgrade (see deploy/README.md).
# Never overwrites an existing /etc/sales/salesd.json or the data in
# /var/lib/sales, but DOES replace the nginx site and the units each time.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)

PREFIX=/opt/sales
CONF_DIR=/etc/sales
CONF=$CONF_DIR/salesd.json
UNIT_DIR=/etc/systemd/system
NGINX_SITE=/etc/nginx/sites-available/sales.conf
NGINX_LINK=/etc/nginx/sites-enabled/sales.conf
BIN=$REPO/.build/release/salesd

say() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

[[ $EUID -eq 0 ]] || die "run as root (sudo deploy/install.sh)"
[[ -x $BIN ]] || die "$BIN not found; build first: swift build -c release --static-swift-stdlib --product salesd"
[[ -d $REPO/Web ]] || die "$REPO/Web not found; run from a checkout of the project"

# --- Runtime packages -------------------------------------------------------
say "Installing runtime packages"
export DEBIAN_FRONTEND=noninteractive
PKGS=(nginx libfcgi0ldbl libsqlite3-0 libargon2-1 tzdata)
if ! apt-get install -y "${PKGS[@]}"; then
    apt-get update
    apt-get install -y "${PKGS[@]}"
fi

# The binary must load with system libraries only: a plain `swift build`
# links the Swift runtime from the toolchain directory, which a production
# host may not have (and ProtectHome=yes hides toolchains under /home, /root).
missing=$(ldd "$BIN" | awk '/not found/ {print $1}') || true
[[ -z $missing ]] || die "salesd needs libraries this host lacks: $(echo $missing)
Rebuild with: swift build -c release --static-swift-stdlib --product salesd"
if ldd "$BIN" | grep -q 'libswiftCore\.so'; then
    printf 'warning: salesd links the Swift runtime from %s;\n' \
        "$(ldd "$BIN" | awk '/libswiftCore\.so/ {print $3}' | xargs dirname)" >&2
    printf '         it stops working if that toolchain is removed or moved.\n' >&2
    printf '         Prefer: swift build -c release --static-swift-stdlib --product salesd\n' >&2
fi

# --- Service account --------------------------------------------------------
if ! id -u salesd >/dev/null 2>&1; then
    say "Creating system user salesd"
    if getent group salesd >/dev/null; then
        adduser --system --ingroup salesd --no-create-home salesd
    else
        adduser --system --group --no-create-home salesd
    fi
fi

# --- Program files ----------------------------------------------------------
say "Installing program into $PREFIX"
install -d -m 0755 "$PREFIX" "$PREFIX/bin" "$PREFIX/Plugins"
# Copy then rename, so a running salesd is never "text file busy".
install -m 0755 "$BIN" "$PREFIX/bin/.salesd.new"
mv -f "$PREFIX/bin/.salesd.new" "$PREFIX/bin/salesd"

# Web/ (shared templates and static files): replace as a whole so files
# removed from the release disappear too.
rm -rf "$PREFIX/.Web.new"
cp -R "$REPO/Web" "$PREFIX/.Web.new"
rm -rf "$PREFIX/Web"
mv "$PREFIX/.Web.new" "$PREFIX/Web"

# Each module's templates: Plugins/<Name>/templates (no Swift sources).
for tpl in "$REPO"/Plugins/*/templates; do
    [[ -d $tpl ]] || continue
    name=$(basename "$(dirname "$tpl")")
    install -d -m 0755 "$PREFIX/Plugins/$name"
    rm -rf "$PREFIX/Plugins/$name/.templates.new"
    cp -R "$tpl" "$PREFIX/Plugins/$name/.templates.new"
    rm -rf "$PREFIX/Plugins/$name/templates"
    mv "$PREFIX/Plugins/$name/.templates.new" "$PREFIX/Plugins/$name/templates"
done
chown -R root:root "$PREFIX"
chmod -R u=rwX,go=rX "$PREFIX"

# --- Configuration (never overwritten) --------------------------------------
install -d -m 0750 -o root -g salesd "$CONF_DIR"
if [[ ! -e $CONF ]]; then
    say "Installing example configuration as $CONF"
    install -m 0640 -o root -g salesd deploy/salesd.json.example "$CONF"
else
    say "Keeping existing $CONF"
fi

# --- systemd ----------------------------------------------------------------
say "Installing systemd units"
install -m 0644 deploy/systemd/salesd.socket "$UNIT_DIR/salesd.socket"
install -m 0644 deploy/systemd/salesd.service "$UNIT_DIR/salesd.service"
systemctl daemon-reload
systemctl enable --now salesd.socket
systemctl enable salesd.service
# (Re)start now so migrations run and problems show up here, not on the
# first request. The socket stays open, so no request is lost.
if ! systemctl restart salesd.service || ! { sleep 2; systemctl is-active --quiet salesd.service; }; then
    journalctl -u salesd -n 30 --no-pager >&2 || true
    die "salesd failed to start; see: journalctl -u salesd"
fi

# --- nginx ------------------------------------------------------------------
say "Installing nginx site"
install -m 0644 deploy/nginx/sales.conf "$NGINX_SITE"
ln -sfn "$NGINX_SITE" "$NGINX_LINK"
# Debian's stock "default" site claims port 80 as default_server and would
# answer requests made by IP address; disable it if it is still the stock one.
if [[ -L /etc/nginx/sites-enabled/default &&
      $(readlink -f /etc/nginx/sites-enabled/default) == /etc/nginx/sites-available/default ]]; then
    say "Disabling Debian's default nginx site"
    rm -f /etc/nginx/sites-enabled/default
fi
nginx -t
systemctl enable nginx >/dev/null 2>&1 || true
if systemctl is-active --quiet nginx; then
    systemctl reload nginx
else
    systemctl start nginx
fi

# --- Done -------------------------------------------------------------------
cat <<EOF

salesd is installed.
  Program:  $PREFIX          Config: $CONF
  Data:     /var/lib/sales   Logs:   journalctl -u salesd

Edit $CONF (server_name in $NGINX_SITE too), then
  systemctl restart salesd && systemctl reload nginx

Create the first administrator:
  runuser -u salesd -- $PREFIX/bin/salesd user add admin --display-name 管理员 --roles admin --config $CONF
EOF
