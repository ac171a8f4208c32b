#!/usr/bin/env bash
# Puts everything Cairn needs on this machine, and only what is missing, so that
# `npm run demo` and `npm test` work on a fresh Debian 12 with just Node.js and npm.
#   scripts/setup.sh          what the demo needs: npm packages, Podman, the busybox base image,
#                             python3 (the host runtime's launcher)
#   scripts/setup.sh --test   also what the test suite needs: PostgreSQL's server binaries,
#                             OpenSSH's server (SFTP archives), OpenStack Swift and memcached
#                             (S3 archives), git, Debian's docker-registry and htpasswd (image
#                             builds), Debian's dockerd (docker.io: the Docker Engine tests start
#                             a private one), Slurm and munge, Chromium (the web UI tests), and the
#                             function runtime image (Debian with python3 and node)
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
  missing_s3=()
  for bin in swift-proxy-server:swift-proxy swift-account-server:swift-account swift-container-server:swift-container swift-object-server:swift-object memcached:memcached; do
    command -v "${bin%%:*}" >/dev/null || missing_s3+=("${bin##*:}")
  done
  if [ ${#missing_s3[@]} -gt 0 ]; then
    # The S3 archive tests start their own Swift (with s3api, which checks signatures) and memcached on loopback ports.
    step "installing OpenStack Swift and memcached (the S3 archive tests run against a private Swift): ${missing_s3[*]}"
    bash scripts/apt-install.sh "${missing_s3[@]}"
  fi
  # The image build tests serve repositories with git's own http-backend and push to a
  # private docker-registry with htpasswd (bcrypt) logins; installing starts neither.
  missing=()
  command -v git >/dev/null || missing+=(git)
  command -v hg >/dev/null || missing+=(mercurial)
  [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  # The Docker Engine tests start their own dockerd (20.10) on a private socket; installing starts none.
  [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]} (the image build tests run a private git server, registry and dockerd)"
    bash scripts/apt-install.sh "${missing[@]}"
  fi
  # The Slurm tests (tapis_job) start a private single-node slurmctld, slurmd and munged;
  # the web UI tests drive Debian's Chromium through playwright-core (nothing is downloaded).
  missing=()
  [ -x /usr/sbin/slurmctld ] || missing+=(slurm-wlm)
  [ -x /usr/sbin/munged ] || missing+=(munge)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]} (the Slurm and browser tests run private ones)"
    bash scripts/apt-install.sh "${missing[@]}"
  fi
  bash scripts/build-runtime-image.sh
fi
