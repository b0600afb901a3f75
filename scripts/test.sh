#!/usr/bin/env bash
# `npm test`: type-check, every unit/integration/browser test (node's test runner), then the
# end-to-end test in a real VS Code (code-server). Installs what the browser tests need
# (Debian's chromium; code-server from npm) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the webview and end-to-end tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
npx tsc --noEmit -p .
node scripts/run-tests.mjs
bash scripts/e2e.sh
