#!/usr/bin/env bash
# Prepares this machine for the test suite (run as root; idempotent):
# - newuidmap/newgidmap (Debian package uidmap) for the rootless multi-range maps;
# - umoci (Debian package umoci) to build and unpack OCI images for the image-unpack tests;
# - the unprivileged test user reexecer-ci with /etc/subuid and /etc/subgid ranges;
# - the arm64 cross toolchain the prebuilds are packed with (scripts/setup-pack.sh) and
#   qemu-user-static, which runs the arm64 prebuild under the arm64 Node, and musl-dev;
# - read access to the checkout for uid 65534 and reexecer-ci, whose tests run from it.
set -euo pipefail

# umoci: the image-unpack tests build OCI images with it and compare with its own unpack.
if ! command -v newuidmap >/dev/null || ! command -v newgidmap >/dev/null || ! command -v umoci >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq uidmap umoci >/dev/null
fi

bash "$(dirname "$0")/../scripts/setup-pack.sh"
# qemu-user-static runs the arm64 prebuild; musl-dev's headers check the native sources.
if ! command -v qemu-aarch64-static >/dev/null || [ ! -d "/usr/include/$(gcc -dumpmachine | sed 's/-gnu$/-musl/')" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static musl-dev >/dev/null
fi

user=reexecer-ci
if ! id -u "$user" >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
fi
for f in /etc/subuid /etc/subgid; do
  touch "$f"
  grep -q "^$user:" "$f" || echo "$user:200000:65536" >>"$f"
done

# The unprivileged tests run node on this checkout: it must be readable by others and
# every directory above it searchable.
dir=$(cd "$(dirname "$0")/.." && pwd)
chmod -R o+rX "$dir"
while [ "$dir" != "/" ]; do
  dir=$(dirname "$dir")
  chmod o+x "$dir"
done
