#!/usr/bin/env bash
# Rebuild assets/vendor/bootstrap/bootstrap.min.css from Bootstrap's Sass sources with only the
# parts listed in monitor-bootstrap.scss. Needs node/npm at build time only; the output is
# committed, so running the monitor never needs them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent bootstrap@5.3.8 sass@1.108.2 >/dev/null
cp "$here/monitor-bootstrap.scss" .
npx --no-install sass --load-path=node_modules --style=compressed --no-source-map --quiet \
    monitor-bootstrap.scss "$root/assets/vendor/bootstrap/bootstrap.min.css"
cp node_modules/bootstrap/LICENSE "$root/assets/vendor/bootstrap/LICENSE"
echo "wrote assets/vendor/bootstrap/bootstrap.min.css ($(wc -c < "$root/assets/vendor/bootstrap/bootstrap.min.css") bytes)"
