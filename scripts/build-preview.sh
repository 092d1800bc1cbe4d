#!/usr/bin/env bash
# The preview's client assets: Directus' visual editing library (the version Directus 12.4.0's app
# speaks to) and its one dependency, installed with npm from preview/package-lock.json and copied,
# with our own preview.js, into preview/dist (git-ignored), which the engine serves on preview pages.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/../preview"

source "$HERE/node-env.sh"
npm_ci_if_changed
mkdir -p dist
# the visual editing bundle takes observe-rect from a global named observeRect
{ cat node_modules/@reach/observe-rect/dist/observe-rect.umd.production.min.js
  printf '\nwindow.observeRect = window["@reach/observe-rect"].default;\n'; } > dist/observe-rect.js
cp node_modules/@directus/visual-editing/dist/visual-editing.js dist/visual-editing.js
cp src/preview.js dist/preview.js
echo "preview assets: $(ls dist | tr '\n' ' ')"
