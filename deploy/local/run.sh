#!/usr/bin/env bash
# The local runner behind `make run`: creates the database with a first admin, then starts the
# responder and a real nginx on 127.0.0.1 (own config, pid and temp paths under $RUN_DIR), and
# stays in the foreground until Ctrl-C, which stops both cleanly.
#   PORT (8080)  DATA_DIR (./data)  RUN_DIR (./run)  ADMIN_PASSWORD (generated if unset)
#   SALESD (path of the built binary)
#   DEMO=1 (`make demo`): a new database is filled with the demo company (`salesd demo`) after
#   the first admin is made; an existing one is kept as it is.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
PORT=${PORT:-8080}
DATA_DIR=${DATA_DIR:-$root/data}
RUN_DIR=${RUN_DIR:-$root/run}
SALESD=${SALESD:-$root/.build/release/salesd}
mkdir -p "$DATA_DIR" "$RUN_DIR"
DATA_DIR=$(cd "$DATA_DIR" && pwd)
RUN_DIR=$(cd "$RUN_DIR" && pwd)
socket="$RUN_DIR/salesd.sock"

export SALES_DATA_DIR="$DATA_DIR" SALES_LISTEN="unix:$socket" SALES_WEB_DIR="$root/Web" SALES_PLUGINS_DIR="$root/Plugins"

new_database=1
[ -e "$DATA_DIR/sales.sqlite" ] && new_database=0
"$SALESD" migrate >/dev/null
created=$("$SALESD" user add admin --display-name 管理员 --roles admin --if-missing ${ADMIN_PASSWORD:+--password "$ADMIN_PASSWORD"})
password_line=$(printf '%s\n' "$created" | sed -n 's/^password: //p')
demo_summary=""
if [ "${DEMO:-0}" = 1 ]; then
    if [ "$new_database" = 1 ]; then
        echo "filling the new database with the demo company (salesd demo)…"
        demo_summary=$("$SALESD" demo)
    else
        demo_summary="demo: the existing database in $DATA_DIR is kept as it is (salesd demo fills only a new one; remove the folder for a fresh demo)"
    fi
fi

"$root/deploy/local/render-nginx.sh" "$RUN_DIR" "$PORT" "$socket" "$root/Web" 8m > "$RUN_DIR/nginx.conf"
nginx -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/nginx-error.log"

"$SALESD" serve &
app=$!
for _ in $(seq 1 100); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || { echo "salesd did not start" >&2; kill $app 2>/dev/null; exit 1; }
nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/nginx-error.log" -g 'daemon off;' &
web=$!

stop() {
    trap - INT TERM
    echo; echo "stopping…"
    kill -QUIT $web 2>/dev/null || true
    kill -TERM $app 2>/dev/null || true
    wait $web 2>/dev/null || true
    wait $app 2>/dev/null || true
    exit 0
}
trap stop INT TERM

echo
if [ -n "$demo_summary" ]; then
    printf '%s\n\n' "$demo_summary"
fi
echo "销售管理系统 is running:  http://127.0.0.1:$PORT/"
if [ -n "$password_line" ]; then
    echo "login: admin / $password_line   (generated once; change it under 系统管理 → 用户)"
elif [ -n "${ADMIN_PASSWORD:-}" ]; then
    echo "login: admin / (ADMIN_PASSWORD)"
else
    echo "login: admin (user existed already; reset with: $SALESD user passwd admin)"
fi
echo "data: $DATA_DIR   logs: $RUN_DIR/nginx-*.log and this terminal.  Ctrl-C stops."
wait -n $app $web || true
stop
