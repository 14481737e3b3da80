#!/usr/bin/env bash
# Usage: render-nginx.sh RUN_DIR PORT SOCKET WEB_DIR MAX_BODY > nginx.conf
set -euo pipefail
run=$1 port=$2 socket=$3 web=$4 maxbody=$5
user=""
[ "$(id -u)" = 0 ] && user="user root root;"
here=$(cd "$(dirname "$0")/.." && pwd)
sed -e "s|@RUN@|$run|g" -e "s|@PORT@|$port|g" -e "s|@SOCKET@|$socket|g" -e "s|@WEB@|$web|g" \
    -e "s|@MAXBODY@|$maxbody|g" -e "s|@USER@|$user|g" "$here/nginx/local.conf.template"
