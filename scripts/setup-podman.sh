#!/usr/bin/env bash
# Makes Podman usable for Cairn on a Debian 12 machine, doing only what is missing:
#   1. the apt packages (podman, buildah, runc, uidmap, fuse-overlayfs, slirp4netns, busybox-static)
#   2. the two containers.conf settings these machines need (see /work/shared/MACHINE.md):
#      runc, because crun refuses the hybrid cgroup layout; and default ulimits, because the
#      hard open-files limit (20000) is below Podman's default and containers fail with EPERM
#   3. the tiny test image localhost/busybox:test, built from Debian's busybox-static, since
#      no container registry is reachable
# Prints one line per step it actually does; exits non-zero with a reason when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(podman buildah runc uidmap fuse-overlayfs slirp4netns busybox-static)
conf=/etc/containers/containers.conf
image=localhost/busybox:test

step() { printf 'setup-podman: %s\n' "$*"; }
fail() { printf 'setup-podman: %s\n' "$*" >&2; exit 1; }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "missing packages (${missing[*]}) and installing them needs root"
  step "installing ${missing[*]} with apt-get"
  bash scripts/apt-install.sh "${missing[@]}" || fail "apt-get could not install ${missing[*]}"
fi

# Sets `key = value` in [section] of the TOML file, keeping everything else: replaces the
# key when the section has it, adds it under the section header otherwise, and appends the
# section when there is none (a second [containers] table would make the file invalid).
set_toml() {
  local file=$1 section=$2 key=$3 value=$4
  awk -v section="[$section]" -v key="$key" -v line="$key = $value" '
    function flush() { if (in_section && !done) { print line; done = 1 } }
    /^[[:space:]]*\[/ {
      header = $0; gsub(/[[:space:]]/, "", header)
      if (in_section) flush()
      in_section = (header == section)
      print; next
    }
    in_section && $0 ~ "^[[:space:]]*" key "[[:space:]]*=" { if (!done) print line; done = 1; next }
    { print }
    END {
      if (in_section) flush()
      if (!done) { if (NR > 0) print ""; print section; print line }
    }' "$file" >"$file.tmp" && mv "$file.tmp" "$file"
}

# Whether [section] of the file already has exactly `key = value` (spacing aside).
has_toml() {
  local file=$1 section=$2 key=$3 value=$4
  awk -v section="[$section]" -v key="$key" -v want="$key=$value" '
    /^[[:space:]]*\[/ { header = $0; gsub(/[[:space:]]/, "", header); in_section = (header == section); next }
    in_section { l = $0; gsub(/[[:space:]]/, "", l); w = want; gsub(/[[:space:]]/, "", w); if (l == w) found = 1 }
    END { exit found ? 0 : 1 }' "$file"
}

ulimits='["nofile=1024:1024", "nproc=1024:1024"]'
if [ ! -f "$conf" ] || ! has_toml "$conf" containers default_ulimits "$ulimits" || ! has_toml "$conf" engine runtime '"runc"'; then
  [ -w "$(dirname "$conf")" ] || [ "$(id -u)" = 0 ] || fail "$conf needs the runc and ulimit settings, and writing it needs root"
  step "writing the runc runtime and default ulimits into $conf"
  mkdir -p "$(dirname "$conf")"
  touch "$conf"
  set_toml "$conf" containers default_ulimits "$ulimits" || fail "could not update $conf"
  set_toml "$conf" engine runtime '"runc"' || fail "could not update $conf"
fi

if ! podman image exists "$image"; then
  step "building $image from busybox-static"
  [ -x /bin/busybox ] || fail "/bin/busybox is missing; install busybox-static"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/root/bin" "$work/root/etc" "$work/root/tmp"
  chmod 755 "$work/root"
  chmod 1777 "$work/root/tmp"
  cp /bin/busybox "$work/root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$work/root/bin/$applet"
  done
  tar --numeric-owner -C "$work/root" -cf "$work/busybox.tar" . || fail "could not pack the busybox root filesystem"
  podman import --quiet --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' "$work/busybox.tar" "$image" >/dev/null \
    || fail "podman import of the busybox root filesystem failed"
  podman image exists "$image" || fail "$image is still missing after the import"
fi
