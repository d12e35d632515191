#!/usr/bin/env bash
# Installs the browser the HTML-report test drives: Debian's chromium package (no browser
# download of playwright's own; the test launches /usr/bin/chromium). playwright itself, the
# Python driver, comes from scripts/test-requirements.txt via scripts/test-env.sh.
# Idempotent: does nothing when /usr/bin/chromium is there. Needs root (CI and the dev machines
# run as root); as anyone else it says what to install and fails, so the test fails loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
# One installer at a time (CI starts this beside the build and the test calls it too); apt has
# its own lock but would fail rather than wait.
exec 9>.browser-env.lock
flock 9
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "browser-env: /usr/bin/chromium is missing; install Debian's chromium package (apt-get install chromium)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
test -x /usr/bin/chromium
