#!/usr/bin/env bash
# Installs the real components some tests use (a local S3 server) into .venv/ under the repository
# (git-ignored). Idempotent: does nothing when the pinned requirements are already installed.
# The tests call it themselves, so `cargo test --release` needs no other set-up step.
set -euo pipefail
cd "$(dirname "$0")/.."
req=scripts/test-requirements.txt
stamp=.venv/.installed
# One installer at a time: CI starts this script beside the build, and the tests call it too;
# a second caller waits here, then finds the stamp.
exec 9>.venv.lock
flock 9
if [ -f "$stamp" ] && cmp -s "$req" "$stamp"; then
    exit 0
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$stamp"
