#!/bin/sh
# Installs what bench/run.mjs measures, where it is missing: the npm peers (bench/package.json,
# `npm ci` in bench/) and, as root, hyperfine, python3-invoke and GNU time from apt.
# A peer that still cannot be installed is reported here and shows as "missing" in
# bench/RESULTS.md; it never stops the benchmark.
cd "$(dirname "$0")" || exit 1
missing=""

if [ ! -x node_modules/rust-just-linux-x64/bin/just ] || [ ! -d node_modules/concurrently ] ||
  [ ! -d node_modules/npm-run-all2 ] || [ ! -d node_modules/hereby ] || [ ! -d node_modules/wireit ]; then
  # npm ci rejects rust-just's lock entries (its platform packages are declared with an empty
  # version, which npm 11 reads as "missing from lock file"); npm install honours the lock.
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund ||
    missing="$missing npm-peers(concurrently,npm-run-all2,hereby,rust-just,wireit)"
fi

apt_pkgs=""
command -v hyperfine >/dev/null 2>&1 || apt_pkgs="$apt_pkgs hyperfine"
command -v invoke >/dev/null 2>&1 || apt_pkgs="$apt_pkgs python3-invoke"
[ -x /usr/bin/time ] || apt_pkgs="$apt_pkgs time"
if [ -n "$apt_pkgs" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y $apt_pkgs || { apt-get update && apt-get install -y $apt_pkgs; } || missing="$missing$apt_pkgs"
  else
    missing="$missing$apt_pkgs"
  fi
fi

if [ -n "$missing" ]; then
  echo "bench/setup.sh: could not install:$missing (they show as missing in the results)" >&2
else
  echo "bench/setup.sh: everything is installed"
fi
