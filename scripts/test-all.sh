#!/usr/bin/env bash
# The README's second command: install what the tests need, then typecheck, lint, build and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/install-test-deps.sh
npm ci --no-audit --no-fund
npm run typecheck
npm run lint
npm run build
mkdir -p .test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile=.test-results/vitest.json || status=$?
node scripts/test-summary.mjs .test-results/vitest.json
echo "test-all: finished in $(( $(date +%s) - start )) s"
exit "$status"
