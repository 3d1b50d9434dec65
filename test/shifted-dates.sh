#!/usr/bin/env bash
# Runs the date-sensitive suites with every process of the run (Node, PostgreSQL, Chromium) on a
# shifted clock, so a test that assumes today's month, week or year fails here rather than on the
# day it meets one of these. Usage: test/shifted-dates.sh [all | rotate | NAME...] [-- FILE...]
#   all     every setting below (the default)
#   rotate  one setting, chosen by the day of the year (all five in five days), for a shorter run
#   FILE    test files or folders to run instead of the date-sensitive suites
set -uo pipefail
cd "$(dirname "$0")/.."

# name|UTC clock at the start of the run|what it exercises
SETTINGS=(
  "month-start|2027-01-31 23:10:00|the first of a month at 00:10 in Berlin, UTC still on the 31st"
  "dst-start|2027-03-28 10:00:00|the Sunday Berlin springs forward (a 23-hour day)"
  "dst-end|2027-10-31 10:00:00|the Sunday Berlin falls back (a 25-hour day)"
  "new-year-eve|2027-12-31 22:40:00|31 December 22:40 UTC; Berlin reaches the new year during the run"
  "leap-day|2028-02-29 12:00:00|29 February"
)

# Suites whose tests create or read dated data: appointments, work time, agent time, invoices, analytics,
# and every page with dated data on it.
SUITES=(
  test/unit
  test/api/appointments.test.ts test/api/appointment-feeds.test.ts test/api/appointment-jobs.test.ts test/api/appointment-live.test.ts
  test/api/work-sessions.test.ts test/api/work-auto-close.test.ts test/api/work-duplicates.test.ts
  test/api/agent-sessions.test.ts test/api/billing.test.ts test/api/mcp.test.ts
  test/api/analytics.test.ts test/api/analytics-finalise.test.ts
  test/api/projects.test.ts test/api/workspace-settings.test.ts test/api/afk-prompts.test.ts
  test/api/appointment-series.test.ts test/api/client-progress.test.ts test/api/analytics-activity.test.ts
  test/api/analytics-activity-days.test.ts test/api/analytics-partitions.test.ts test/api/analytics-identities.test.ts
  test/e2e/work.test.ts test/e2e/appointments.test.ts test/e2e/appointments-drag.test.ts test/e2e/agent.test.ts test/e2e/pages.test.ts
)

command -v faketime >/dev/null || { echo "faketime is not installed (Debian package faketime)"; exit 2; }
[ -f web/build/index.html ] || npm run -s build

choice=("${@:-all}")
files=()
for i in "${!choice[@]}"; do
  if [ "${choice[$i]}" = "--" ]; then files=("${choice[@]:$((i + 1))}"); choice=("${choice[@]:0:$i}"); break; fi
done
[ ${#choice[@]} -gt 0 ] || choice=(all)
[ ${#files[@]} -gt 0 ] || files=("${SUITES[@]}")
picked=()
case "${choice[0]}" in
  all) picked=("${SETTINGS[@]}") ;;
  rotate)
    day=$((10#$(date +%j)))
    picked=("${SETTINGS[$((day % ${#SETTINGS[@]}))]}") ;;
  *) for name in "${choice[@]}"; do for s in "${SETTINGS[@]}"; do [ "${s%%|*}" = "$name" ] && picked+=("$s"); done; done ;;
esac
[ ${#picked[@]} -gt 0 ] || { echo "no such setting: ${choice[*]}"; exit 2; }

# One shared, advancing clock for the whole process tree (FAKETIME_DONT_RESET); its two segments in
# /dev/shm are made readable to the postgres user, or PostgreSQL silently keeps the real clock.
# shellcheck disable=SC2016
run_at='for segment in $FAKETIME_SHARED; do chmod 666 "/dev/shm/${segment#/}" "/dev/shm/sem.${segment#/}" 2>/dev/null; done; exec npx vitest run "$@"'

results=()
failed=0
for setting in "${picked[@]}"; do
  IFS='|' read -r name clock about <<<"$setting"
  echo "=== $name: $about (clock starts at $clock UTC)"
  if TZ=UTC FAKETIME_DONT_RESET=1 faketime -f "@$clock" bash -c "$run_at" vitest "${files[@]}"; then
    results+=("passed  $name  ($clock UTC: $about)")
  else
    results+=("FAILED  $name  ($clock UTC: $about)")
    failed=1
  fi
done
echo
echo "Shifted-date runs:"
printf '  %s\n' "${results[@]}"
exit $failed
