#!/usr/bin/env bash
# apt-get install with what these machines need: one `update` per call, non-interactive,
# no recommends, and patience when another apt user holds the dpkg lock.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt_retry() {
  for _ in $(seq 1 15); do
    if apt-get "$@" >"$log" 2>&1; then return 0; fi
    if grep -qiE 'Could not get lock|Unable to acquire|is held by' "$log"; then sleep 20; else cat "$log" >&2; return 1; fi
  done
  cat "$log" >&2
  return 1
}
apt_retry update
apt_retry install -y --no-install-recommends "$@"
