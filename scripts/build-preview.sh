#!/usr/bin/env bash
# The preview's client assets: Directus' visual editing library (the version Directus 12.4.0's app
# speaks to) and its one dependency, installed with npm from preview/package-lock.json and copied,
# with our own preview.js, into preview/dist (git-ignored), which the engine serves on preview pages.
set -euo pipefail
cd "$(dirname "$0")/../preview"

if [ -z "${NODE_HOME:-}" ]; then
  eval "$(bash ../scripts/install-directus.sh | grep '^NODE_HOME=')"
fi
export PATH="$NODE_HOME/bin:$PATH"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p dist
# the visual editing bundle takes observe-rect from a global named observeRect
{ cat node_modules/@reach/observe-rect/dist/observe-rect.umd.production.min.js
  printf '\nwindow.observeRect = window["@reach/observe-rect"].default;\n'; } > dist/observe-rect.js
cp node_modules/@directus/visual-editing/dist/visual-editing.js dist/visual-editing.js
cp src/preview.js dist/preview.js
echo "preview assets: $(ls dist | tr '\n' ' ')"
