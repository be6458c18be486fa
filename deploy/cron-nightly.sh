#!/bin/sh
# The nightly run for cron (deploy/qwoty-directory.cron), on hosts without systemd: appends one timestamped
# header line and the run's output to its log, and on failure writes one error line to syslog (`logger`,
# which needs no `mail`) and runs QWOTY_ALERT_COMMAND if it is set (a webhook, a chat message, `mail` if you
# have it), with QWOTY_EXIT_CODE and QWOTY_NIGHTLY_LOG in its environment. Exits with the run's exit code.
#
# Settings, from the environment (the cron file sets them):
#   QWOTY_NIGHTLY_LOG    the log file (default /var/log/qwoty-directory/nightly.log); its folder must be the
#                        service user's (README, "Install on a server"); logrotate: deploy/qwoty-directory.logrotate
#   QWOTY_ALERT_COMMAND  a shell command run on failure (optional)
# The token and the run's settings come from the checkout's .env, as for any `npm run nightly`.
set -u
log=${QWOTY_NIGHTLY_LOG:-/var/log/qwoty-directory/nightly.log}
# The checkout is this script's parent folder, wherever it was cloned.
cd "$(dirname "$0")/.." || exit 1
checkout=$(pwd)

alert() {
  logger --priority user.err --tag qwoty-nightly -- "$1" || true
  if [ -n "${QWOTY_ALERT_COMMAND:-}" ]; then
    QWOTY_EXIT_CODE=$2 QWOTY_NIGHTLY_LOG=$log /bin/sh -c "$QWOTY_ALERT_COMMAND" || true
  fi
}

if ! printf '==== %s qwoty nightly on %s (%s)\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$(hostname)" "$checkout" >>"$log" 2>/dev/null; then
  alert "qwoty nightly not run: cannot append to $log as $(id -un). Make its folder the user's: install -d -o $(id -un) -g adm -m 2750 $(dirname "$log")" 73
  exit 73
fi
./node_modules/.bin/node scripts/nightly.ts >>"$log" 2>&1
code=$?
if [ "$code" -ne 0 ]; then
  alert "qwoty nightly failed with exit $code: see $log and $checkout/data/run-summary.json" "$code"
fi
exit "$code"
