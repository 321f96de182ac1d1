#!/usr/bin/env bash
# Copy the pinned npm packages of package.json into static/vendor (axe-core, used only by the
# browser tests, into tests/vendor), with their licences.
# Run it after changing a version; the copied files are committed so deployments work offline.
set -euo pipefail
cd "$(dirname "$0")/.."
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
cp package.json "$workdir/"
(cd "$workdir" && npm install --no-audit --no-fund --ignore-scripts >/dev/null)
modules="$workdir/node_modules"
mkdir -p static/vendor/pico static/vendor/chartjs tests/vendor/axe-core
cp "$modules/@picocss/pico/css/pico.min.css" "$modules/@picocss/pico/LICENSE.md" static/vendor/pico/
cp "$modules/chart.js/dist/chart.umd.min.js" "$modules/chart.js/LICENSE.md" static/vendor/chartjs/
cp "$modules/axe-core/axe.min.js" "$modules/axe-core/LICENSE" tests/vendor/axe-core/
echo "Vendored: $(cd "$modules" && for p in @picocss/pico chart.js axe-core; do node -p "require('./$p/package.json').name + '@' + require('./$p/package.json').version"; done | tr '\n' ' ')"
