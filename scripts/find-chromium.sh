# Sourced by scripts/test.sh and scripts/e2e.sh: exports FLATNESS_CHROMIUM for the browser tests.
# Order: $FLATNESS_CHROMIUM, $CHROMIUM_PATH, chromium-like executables on PATH; where none is found
# and apt is available to root, Debian's chromium is installed. Otherwise a warning says what to
# install, and the browser tests fail with the same advice.
find_chromium() {
  local candidate
  for candidate in "${FLATNESS_CHROMIUM:-}" "${CHROMIUM_PATH:-}"; do
    if [ -n "$candidate" ]; then
      [ -x "$candidate" ] && { echo "$candidate"; return 0; }
      echo "find-chromium: '$candidate' is not an executable file" >&2
      return 1
    fi
  done
  for candidate in chromium chromium-browser google-chrome-stable google-chrome; do
    command -v "$candidate" 2>/dev/null && return 0
  done
  return 1
}

if chromium_path=$(find_chromium); then
  export FLATNESS_CHROMIUM="$chromium_path"
elif [ -z "${FLATNESS_CHROMIUM:-}${CHROMIUM_PATH:-}" ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian's chromium (apt) for the webview and end-to-end tests..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  chromium_path=$(find_chromium) && export FLATNESS_CHROMIUM="$chromium_path"
elif [ -z "${FLATNESS_CHROMIUM:-}${CHROMIUM_PATH:-}" ]; then
  echo "warning: no chromium found and apt is not available to this user: the browser tests will fail." >&2
  echo "  Install Chromium or Chrome (Debian/Ubuntu: sudo apt-get install chromium) or set FLATNESS_CHROMIUM=/path/to/chromium." >&2
fi
