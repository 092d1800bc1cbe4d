#!/usr/bin/env bash
# What the browser tests inject into pages (tests/support/browser): axe-core, installed with npm
# from its package-lock.json into its node_modules (git-ignored), with Node 22 from the cache.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/../tests/support/browser"

source "$HERE/node-env.sh"
npm_ci_if_changed
test -f node_modules/axe-core/axe.min.js || { echo "build-browser-checks: axe-core is missing after npm ci" >&2; exit 1; }
echo "browser checks: axe-core $(node -p "require('./node_modules/axe-core/package.json').version")" >&2
