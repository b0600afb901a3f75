#!/usr/bin/env bash
# End-to-end test of the packaged extension in code-server 4.100.3 (VS Code 1.100.3) driven by a
# headless chromium. Idempotent: finds chromium (scripts/find-chromium.sh), installs code-server
# with the project's own scripts/install-code-server.sh only when missing, packages the .vsix
# (unless FLATNESS_VSIX names one) and runs the end-to-end files (test/e2e/*.e2e.ts), or only the files
# given as arguments: bash scripts/e2e.sh test/e2e/actions.e2e.ts. Set CODE_SERVER_DIR to reuse another install.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=find-chromium.sh
source scripts/find-chromium.sh
CODE_SERVER_DIR=${CODE_SERVER_DIR:-.code-server}
bash scripts/install-code-server.sh "$CODE_SERVER_DIR"
[ -d node_modules ] || npm ci --no-audit --no-fund
if [ -z "${FLATNESS_VSIX:-}" ]; then
  node scripts/package.mjs --out="$PWD/flatness-lens-e2e.vsix"
  export FLATNESS_VSIX="$PWD/flatness-lens-e2e.vsix"
fi
code_server_bin=$(cd "$CODE_SERVER_DIR" && pwd)/node_modules/.bin/code-server
export CODE_SERVER="$code_server_bin"
if [ $# -gt 0 ]; then files=("$@"); else files=(test/e2e/vscode.e2e.ts test/e2e/trajectory.e2e.ts test/e2e/actions.e2e.ts); fi
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
