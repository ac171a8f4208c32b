#!/usr/bin/env bash
# Puts everything Cairn needs on this machine, and only what is missing, so that
# `npm run demo` and `npm test` work on a fresh Debian 12 with just Node.js and npm.
#   scripts/setup.sh          what the demo needs: npm packages, Podman, the busybox base image,
#                             python3 (the host runtime's launcher)
#   scripts/setup.sh --test   also what the test suite needs: PostgreSQL's server binaries,
#                             OpenSSH's server (SFTP archives) and the function runtime image
#                             (Debian with python3 and node)
set -euo pipefail
cd "$(dirname "$0")/.."
for_tests=false
[ "${1:-}" = "--test" ] && for_tests=true

step() { printf 'setup: %s\n' "$*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is needed, this is $(node --version)" >&2
  exit 1
fi

# npm packages: install when node_modules is missing or the lockfile changed since.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.cairn-lock-hash ] || [ "$(cat node_modules/.cairn-lock-hash)" != "$lock_hash" ]; then
  step "installing npm packages"
  npm install --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.cairn-lock-hash
fi

if [ "$(id -u)" != 0 ] && ! command -v podman >/dev/null; then
  echo "setup: Podman is missing and installing it needs root (apt-get install podman runc); or set DOCKER_HOST to a Docker engine" >&2
  exit 1
fi
bash scripts/setup-podman.sh

# The host runtime starts its processes through a small Python launcher (standard library
# only); without python3 it still works, forking the engine for each process (slower).
if ! command -v python3 >/dev/null && [ "$(id -u)" = 0 ]; then
  step "installing python3 (the host runtime's process launcher)"
  bash scripts/apt-install.sh python3
fi

if $for_tests; then
  if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
    step "installing PostgreSQL (the store tests run against a private server)"
    bash scripts/apt-install.sh postgresql
  fi
  if [ ! -x /usr/sbin/sshd ]; then
    # The SFTP archive tests start their own sshd on a loopback port; installing never starts one.
    step "installing OpenSSH's server (the SFTP archive tests run against a private one)"
    bash scripts/apt-install.sh openssh-server
  fi
  bash scripts/build-runtime-image.sh
fi
