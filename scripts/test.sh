#!/usr/bin/env bash
# `npm test`: type-check, every unit/integration/browser test (node's test runner), then the
# end-to-end test in a real VS Code (code-server). Finds chromium or installs Debian's with apt
# (root only); scripts/e2e.sh installs code-server from npm when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=find-chromium.sh
source scripts/find-chromium.sh
npm run --silent typecheck
npm run --silent lint
# One .vsix for the packaging test (test/packaging) and the end-to-end test.
node scripts/package.mjs --out="$PWD/flatness-lens-e2e.vsix"
export FLATNESS_VSIX="$PWD/flatness-lens-e2e.vsix"
node scripts/run-tests.mjs
bash scripts/e2e.sh

