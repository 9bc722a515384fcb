#!/usr/bin/env bash
# Installs the Debian packages the tests need, if they are missing:
#   chromium, chromium-driver  headless browser for tests/book/test_site_browser.py
#   bubblewrap                 namespaces sandbox for grading untrusted submissions
#   npm                        fetches axe-core (`npm pack axe-core@4`) for the accessibility tests
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium chromium-driver)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
