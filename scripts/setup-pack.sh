#!/usr/bin/env bash
# What `npm pack` needs beyond the dev dependencies (run as root; idempotent): the Debian
# cross toolchain for the linux-arm64 prebuild.
set -euo pipefail
if ! command -v aarch64-linux-gnu-g++ >/dev/null; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "reexecer prepack: aarch64-linux-gnu-g++ is missing: apt-get install g++-aarch64-linux-gnu (as root)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++-aarch64-linux-gnu >/dev/null
fi
