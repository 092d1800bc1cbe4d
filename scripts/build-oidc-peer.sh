#!/usr/bin/env bash
# The tests' OpenID Connect peer (tests/support/oidc_peer): oidc-provider and its dependencies,
# installed with npm from its package-lock.json into its node_modules (git-ignored), with Node 22
# from the cache. Prints NODE_HOME=... on its last line, for tests/support/oidc.py.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/../tests/support/oidc_peer"

source "$HERE/node-env.sh"
npm_ci_if_changed
node -e "import('oidc-provider').then(() => {}, (err) => { console.error(err.message); process.exit(1); })" \
  >/dev/null 2>&1 || { echo "build-oidc-peer: oidc-provider does not load under $(node --version)" >&2; exit 1; }
echo "oidc peer: oidc-provider $(node -p "require('./node_modules/oidc-provider/package.json').version") on Node $(node --version)" >&2
echo "NODE_HOME=$NODE_HOME"
