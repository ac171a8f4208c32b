#!/usr/bin/env bash
# Builds the function runtime image localhost/cairn-runtime:bookworm (Debian 12 with python3,
# pip, node and npm) once per machine. No container registry is reachable here, so the root
# filesystem comes from debootstrap and Debian's own mirror, and `podman import` turns it into
# an image. The rootfs tarball is kept under /var/cache/cairn so that after a Podman reset the
# image comes back in seconds instead of minutes.
#   scripts/build-runtime-image.sh           build when the image is missing
#   scripts/build-runtime-image.sh --force   rebuild the rootfs and re-import
set -euo pipefail
cd "$(dirname "$0")/.."

image=localhost/cairn-runtime:bookworm
cache_dir=/var/cache/cairn
tarball=$cache_dir/cairn-runtime-bookworm.tar
packages=python3,python3-pip,nodejs,ca-certificates
# npm pulls in ~300 node-* packages whose configure step fails inside debootstrap's
# ordering, so it is installed afterwards with apt in the chroot (see below).
late_packages=npm

step() { printf 'build-runtime-image: %s\n' "$*"; }
fail() { printf 'build-runtime-image: %s\n' "$*" >&2; exit 1; }

force=false
[ "${1:-}" = "--force" ] && force=true

command -v podman >/dev/null || fail "podman is missing (run scripts/setup.sh first)"

if ! $force && podman image exists "$image"; then
  step "$image exists already, nothing to do"
  exit 0
fi

# The mirror the machine's apt already uses: the only Debian source known to be reachable.
debian_mirror() {
  local uri
  uri=$(grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(grep -hE '^\s*deb\s' /etc/apt/sources.list | grep -v -- '-security' | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit }}' | head -n1 || true)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

if $force || [ ! -s "$tarball" ]; then
  [ "$(id -u)" = 0 ] || fail "debootstrap needs root; run as root or import a prebuilt $tarball"
  if ! command -v debootstrap >/dev/null; then
    step "installing debootstrap"
    bash scripts/apt-install.sh debootstrap || fail "could not install debootstrap with apt-get"
  fi
  mirror=$(debian_mirror)
  mkdir -p "$cache_dir"
  rootfs=$(mktemp -d "$cache_dir/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs" "$tarball.tmp"' EXIT
  step "debootstrap bookworm from $mirror with $packages (a few minutes)"
  if ! debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >"$cache_dir/debootstrap.log" 2>&1; then
    cp "$rootfs/debootstrap/debootstrap.log" "$cache_dir/debootstrap-inner.log" 2>/dev/null || true
    tail -n 20 "$cache_dir/debootstrap.log" >&2
    fail "debootstrap failed; the full log is in $cache_dir/debootstrap.log"
  fi
  step "installing $late_packages in the root filesystem with apt-get"
  if ! chroot "$rootfs" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
      "apt-get update && apt-get install -y --no-install-recommends $late_packages" >"$cache_dir/late-packages.log" 2>&1; then
    tail -n 20 "$cache_dir/late-packages.log" >&2
    fail "installing $late_packages in the image failed; the full log is in $cache_dir/late-packages.log"
  fi
  # Package lists and .debs are useless in the image and double its size.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  # mktemp made the directory 0700, and it becomes the image's /.
  chmod 755 "$rootfs"
  step "packing the root filesystem into $tarball"
  tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
  trap - EXIT
else
  step "reusing the cached root filesystem $tarball"
fi

step "importing $tarball as $image"
podman import --quiet --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "$tarball" "$image" >/dev/null || fail "podman import of $tarball failed"
podman image exists "$image" || fail "$image is still missing after the import"
step "done: $image"
