#!/usr/bin/env bash
# The system programs `make test` needs besides Python: PostgreSQL and Redis servers (tests/distributed runs the
# docker-compose stack's CeleryExecutor on them) and docker-compose (tests/deploy checks docker-compose.yaml with
# `docker-compose config`; no Docker engine is needed) and Chromium (tests/ui drives it with Playwright). Installs whatever is missing with apt-get, as root or
# through sudo; does nothing when all are there.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
((${#missing[@]})) || exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "make test needs ${missing[*]}: install them (Debian: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "Installing what make test needs: ${missing[*]}"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
