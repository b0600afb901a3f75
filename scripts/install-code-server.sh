#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3 served to a browser; needs Node 20) from the npm
# registry into DIR (default: .code-server), for the end-to-end test. Needs no network but the npm
# registry and, where something is missing, Debian's apt:
#   - headers for the native modules npm compiles (krb5, X11, xkbfile, libsecret) and ripgrep;
#   - @vscode/ripgrep would download ripgrep from GitHub: its download cache is seeded with the
#     system's `rg` instead.
# Idempotent: does nothing when DIR already holds this version.
# Usage: bash scripts/install-code-server.sh [DIR]
set -euo pipefail
VERSION=4.100.3
RIPGREP_PACKAGE_VERSION=1.15.11 # the @vscode/ripgrep that code-server 4.100.3 depends on
RIPGREP_ASSET_VERSION=v13.0.0-10
DIR=${1:-.code-server}

fail() { echo "install-code-server: $*" >&2; exit 1; }

if [ -x "$DIR/node_modules/.bin/code-server" ] \
  && [ "$(node -p "require(require('path').resolve('$DIR/node_modules/code-server/package.json')).version" 2>/dev/null || true)" = "$VERSION" ]; then
  echo "install-code-server: code-server $VERSION is already in $DIR"
  exit 0
fi

command -v node >/dev/null || fail "node (20 or later) is not on PATH"
command -v npm >/dev/null || fail "npm is not on PATH"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "code-server $VERSION needs Node 20 or later; found $(node --version)"

# System packages: install only what is missing, and only where apt can.
packages=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev ripgrep build-essential python3 pkg-config)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "install-code-server: installing ${missing[*]} with apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    fail "missing system packages: ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) and run this again."
  fi
fi
command -v rg >/dev/null || fail "ripgrep (rg) is not on PATH"

case "$(uname -m)" in
  x86_64) rg_target=x86_64-unknown-linux-musl ;;
  aarch64 | arm64) rg_target=aarch64-unknown-linux-musl ;;
  *) fail "no ripgrep cache recipe for $(uname -m)" ;;
esac
cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$RIPGREP_PACKAGE_VERSION"
asset="$cache/ripgrep-$RIPGREP_ASSET_VERSION-$rg_target.tar.gz"
if [ ! -s "$asset" ]; then
  mkdir -p "$cache"
  stage=$(mktemp -d)
  cp "$(command -v rg)" "$stage/rg"
  tar czf "$asset.partial" -C "$stage" rg
  mv "$asset.partial" "$asset"
  rm -rf "$stage"
fi

mkdir -p "$DIR"
cd "$DIR"
# `npm init` refuses folder names that start with a dot: write the manifest directly.
[ -f package.json ] || echo '{"name":"code-server-install","private":true}' > package.json
# npm_config_yes: node-pty's build runs npx; unsafe_perm: code-server's postinstall refuses root otherwise.
npm_config_yes=true npm_config_unsafe_perm=true npm install --no-audit --no-fund "code-server@$VERSION"
test -x node_modules/.bin/code-server || fail "npm finished but node_modules/.bin/code-server is missing"
node_modules/.bin/code-server --version
