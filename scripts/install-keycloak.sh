#!/usr/bin/env bash
# Keycloak's server distribution for the tests and `make stack`, installed once into a cache outside
# git and reused: keycloak-quarkus-dist from Maven Central, built for its development database (an
# H2 file per instance), a local cache (no cluster discovery) and health checks on. Runs on the
# machine's Java 17 or newer (Debian's OpenJDK is installed when no Java is found). Prints
# KEYCLOAK_HOME=... and JAVA_HOME=... on its last two lines.
set -euo pipefail

KEYCLOAK_VERSION=${CABINET_KEYCLOAK_VERSION:-26.7.3}
CACHE="${CABINET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cabinet-engine}"
KEYCLOAK_HOME="$CACHE/keycloak-$KEYCLOAK_VERSION"

say() { echo "install-keycloak: $*" >&2; }

apt_install() {
  [ "$(id -u)" = 0 ] || { say "$* is missing: install it (sudo apt-get install $*)"; exit 2; }
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

find_java() {
  # JAVA_HOME when set, else the java on PATH: Keycloak 26 runs on 17 and newer.
  local java
  for java in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)"; do
    if [ -n "$java" ] && [ -x "$java" ] && [ "$(java_major "$java")" -ge 17 ] 2>/dev/null; then
      dirname "$(dirname "$(readlink -f "$java")")"
      return 0
    fi
  done
  return 1
}

mkdir -p "$CACHE"
exec 9>"$CACHE/.install-keycloak.lock"
flock 9

JAVA_HOME=$(find_java) || { say "installing Java 17 from Debian's packages"; apt_install openjdk-17-jre-headless;
                            JAVA_HOME=$(find_java); }
export JAVA_HOME

if [ ! -f "$KEYCLOAK_HOME/.installed" ]; then
  command -v mvn >/dev/null || { say "installing Maven from Debian's packages"; apt_install maven; }
  say "installing Keycloak $KEYCLOAK_VERSION into $KEYCLOAK_HOME (about a minute, once)"
  download=$(mktemp -d)
  trap 'rm -rf "$download"' EXIT
  mvn -B dependency:copy "-Dartifact=org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
    "-DoutputDirectory=$download" >"$CACHE/keycloak-download.log" 2>&1 \
    || { say "Maven could not fetch keycloak-quarkus-dist $KEYCLOAK_VERSION; see $CACHE/keycloak-download.log"; exit 1; }
  rm -rf "$KEYCLOAK_HOME"
  mkdir -p "$KEYCLOAK_HOME"
  tar xzf "$download/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz" -C "$KEYCLOAK_HOME" --strip-components=1
  # The build fixes the build-time options once; each instance then starts with --optimized.
  "$KEYCLOAK_HOME/bin/kc.sh" build --db=dev-file --cache=local --health-enabled=true >"$KEYCLOAK_HOME/build.log" 2>&1 \
    || { say "kc.sh build failed; see $KEYCLOAK_HOME/build.log"; exit 1; }
  touch "$KEYCLOAK_HOME/.installed"
fi

echo "KEYCLOAK_HOME=$KEYCLOAK_HOME"
echo "JAVA_HOME=$JAVA_HOME"
