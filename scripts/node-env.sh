# Sourced by the scripts that build the Node parts: Node 22 first on PATH ($NODE_HOME when set,
# else the cache scripts/install-directus.sh fills), and `npm_ci_if_changed`, which installs a
# folder's package-lock.json only when it is newer than what node_modules holds.
if [ -z "${NODE_HOME:-}" ]; then
  eval "$(bash "$(dirname "${BASH_SOURCE[0]}")/install-directus.sh" | grep '^NODE_HOME=')"
fi
export PATH="$NODE_HOME/bin:$PATH"

npm_ci_if_changed() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}
