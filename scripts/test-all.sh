#!/usr/bin/env bash
# The README's second command: install what the tests need, then typecheck, lint, and build and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
mark=$start
# Prints how long the step that just ended took (where a slow run spends its time).
took() {
  local now
  now=$(date +%s)
  echo "test-all: $1 took $((now - mark)) s"
  mark=$now
}
bash scripts/install-test-deps.sh
took "install-test-deps"
npm ci --no-audit --no-fund
took "npm ci"
# The typecheck and the linter each use one core: run side by side, each printed whole when done.
checks=$(mktemp -d)
npm run typecheck >"$checks/typecheck.log" 2>&1 &
typecheck_pid=$!
npm run lint >"$checks/lint.log" 2>&1 &
lint_pid=$!
typecheck_status=0
wait "$typecheck_pid" || typecheck_status=$?
lint_status=0
wait "$lint_pid" || lint_status=$?
cat "$checks/typecheck.log" "$checks/lint.log"
took "typecheck and lint"
rm -rf "$checks"
if ((typecheck_status != 0 || lint_status != 0)); then
  echo "test-all: typecheck ($typecheck_status) or lint ($lint_status) FAILED"
  exit 1
fi
# No separate `npm run build`: each part is built once, fresh, by the run that uses it: vitest's global
# setup builds the agent's bundle (test/setup/build-agent.ts), playwright's builds the app with
# electron-vite (main, preload and the renderer the relay serves) and the agent's bundle again
# (test/e2e/support/build-ui.ts), so either runs alone on a fresh checkout.
mkdir -p .test-results
# The tests' temporary files (hundreds of SQLite databases at synchronous=FULL, the processes' data
# dirs) go to a RAM disk when the machine has one with room: an fsync there costs nothing instead of
# a disk flush shared by every test at once. Nothing a test checks depends on it: a kill -9 loses no
# page a disk would have kept, and the full-disk tests mount their own small tmpfs.
if [[ -z "${TMPDIR:-}" && "$(stat -f -c %T /dev/shm 2>/dev/null)" == tmpfs && -w /dev/shm ]] &&
  (($(df -Pk /dev/shm | awk 'NR == 2 { print $4 }') > 4 * 1024 * 1024)); then
  TMPDIR=$(mktemp -d /dev/shm/boiler-tests.XXXXXX)
  export TMPDIR
  trap 'rm -rf "$TMPDIR"' EXIT
  echo "test-all: temporary files in $TMPDIR (tmpfs)"
fi
status=0
npx vitest run --reporter=default --reporter=json --outputFile=.test-results/vitest.json || status=$?
took "vitest"
# The UI end to end: Debian's chromium against a real agent and relay per suite (playwright.config.ts).
e2e_status=0
npx playwright test || e2e_status=$?
took "playwright (with the app's build)"
node scripts/test-summary.mjs .test-results/vitest.json
if ((e2e_status != 0)); then echo "test-all: e2e (playwright) FAILED"; status=$e2e_status; else echo "test-all: e2e (playwright) passed"; fi
echo "test-all: finished in $(( $(date +%s) - start )) s"
exit "$status"
