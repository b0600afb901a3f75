#!/usr/bin/env bash
# End-to-end test of the extension in code-server (VS Code 1.100) driven by Debian's chromium.
# Idempotent: installs chromium and code-server only when missing, then packages the .vsix
# and runs test/e2e/vscode.e2e.ts. Set CODE_SERVER_DIR to reuse another install.
set -euo pipefail
cd "$(dirname "$0")/.."
CODE_SERVER_DIR=${CODE_SERVER_DIR:-.code-server}
if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
if [ ! -x "$CODE_SERVER_DIR/node_modules/.bin/code-server" ]; then
  mkdir -p "$CODE_SERVER_DIR"
  # npm init refuses folder names starting with a dot: give the install folder its own manifest.
  [ -f "$CODE_SERVER_DIR/package.json" ] || echo '{"name":"code-server-install","private":true}' > "$CODE_SERVER_DIR/package.json"
  installer=${CODE_SERVER_INSTALLER:-../shared/tools/install-code-server.sh}
  [ -f "$installer" ] || installer=/work/shared/tools/install-code-server.sh
  bash "$installer" "$CODE_SERVER_DIR"
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
node scripts/package.mjs --out="$PWD/flatness-lens-e2e.vsix"
export FLATNESS_VSIX="$PWD/flatness-lens-e2e.vsix"
export CODE_SERVER="$PWD/$CODE_SERVER_DIR/node_modules/.bin/code-server"
exec node --import tsx --test --test-concurrency=1 test/e2e/vscode.e2e.ts
