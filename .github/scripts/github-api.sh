#!/usr/bin/env bash
# The nightly workflow's talks with GitHub's REST API, with the job's own token (no outside service):
#
#   github-api.sh pages-private       refuses (exit 1) unless GitHub says the Pages site is private
#   github-api.sh wait-earlier-runs   waits while a run of this workflow started before this one is not done
#   github-api.sh report-outcome      on failure opens or updates one "Nightly failed: …" issue with the run
#                                     summary; on success closes it
#
# Reads GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID and GH_TOKEN, as a workflow step has them, so the
# tests run it against a local server. report-outcome also reads OUTCOME (success|failure), RUN_URL and
# RUN_SUMMARY (run-summary.json's text, or empty when the run stopped before writing it). The token reaches
# curl on its standard input, never on a command line. Needs curl and jq (both on GitHub's runners).
set -euo pipefail

: "${GITHUB_API_URL:?}" "${GITHUB_REPOSITORY:?}" "${GH_TOKEN:?GH_TOKEN must hold the job token}"
repo_api="$GITHUB_API_URL/repos/$GITHUB_REPOSITORY"

# api METHOD PATH [JSON-BODY]: prints the answer; fails on an HTTP error.
api() {
  local method=$1 path=$2 body=${3:-}
  local args=(--silent --show-error --fail-with-body --request "$method" --config -
    --header 'Accept: application/vnd.github+json' --header 'X-GitHub-Api-Version: 2022-11-28')
  if [ -n "$body" ]; then args+=(--header 'Content-Type: application/json' --data-binary "$body"); fi
  printf 'header = "Authorization: Bearer %s"\n' "$GH_TOKEN" | curl "${args[@]}" "$repo_api$path"
}

pages_private() {
  local visibility
  visibility=$(api GET /pages | jq -r '.public')
  if [ "$visibility" != false ]; then
    echo "::error::GitHub Pages is not private (public: $visibility), so the directory would be on the internet: set the Pages visibility to Private (Settings → Pages; GitHub Enterprise Cloud), or set the variable QWOTY_DEPLOY_PAGES to false and host the site yourself."
    exit 1
  fi
  echo "GitHub Pages is private: deploying."
}

wait_earlier_runs() {
  local workflow=${GITHUB_WORKFLOW_FILE:-nightly.yml} pause=${WAIT_SECONDS:-30} earlier
  while :; do
    earlier=$(api GET "/actions/workflows/$workflow/runs?per_page=100" |
      jq --argjson me "$GITHUB_RUN_ID" \
        '[.workflow_runs[] | select(.id < $me and .status != "completed")] | map(.id) | join(", ")' -r)
    [ -z "$earlier" ] && return 0
    echo "Waiting for the earlier run(s) $earlier of this workflow to finish."
    sleep "$pause"
  done
}

report_outcome() {
  local open number title body
  # Only this workflow's issue: opened by the job token's bot, title starting "Nightly failed".
  open=$(api GET '/issues?state=open&creator=github-actions%5Bbot%5D&per_page=100' |
    jq '[.[] | select(.pull_request == null and (.title | startswith("Nightly failed")))] | first')
  number=$(jq -r '.number // empty' <<<"$open")

  if [ "$OUTCOME" = success ]; then
    [ -z "$number" ] && return 0
    api POST "/issues/$number/comments" "$(jq -n --arg url "$RUN_URL" '{body: "Fixed: \($url) succeeded."}')" >/dev/null
    api PATCH "/issues/$number" '{"state":"closed","state_reason":"completed"}' >/dev/null
    echo "Closed issue #$number: the nightly succeeded again."
    return 0
  fi

  # Only what run-summary.json holds: counts, durations, exit code, the error sentence, customers by id.
  local summary=${RUN_SUMMARY:-}
  if [ -n "$summary" ] && jq -e . >/dev/null 2>&1 <<<"$summary"; then
    title=$(jq -r '"Nightly failed: exit \(.exit_code), \(.error // "see the run")"' <<<"$summary" | head -c 240)
    body=$(jq -r --arg url "$RUN_URL" \
      '"The nightly run \($url) failed.\n\n```json\n\(del(.snapshot_dir, .site_dir) | tojson)\n```\n\nThis issue is closed by the next run that succeeds."' \
      <<<"$summary")
  else
    title="Nightly failed: no run summary (the run stopped before npm run nightly finished)"
    body="The nightly run $RUN_URL failed before \`npm run nightly\` wrote its run summary: read the run's log. This issue is closed by the next run that succeeds."
  fi
  local payload
  payload=$(jq -n --arg title "$title" --arg body "$body" '{title: $title, body: $body}')
  if [ -n "$number" ]; then
    api PATCH "/issues/$number" "$payload" >/dev/null
    api POST "/issues/$number/comments" "$(jq -n --arg t "$title" --arg url "$RUN_URL" '{body: "\($t): \($url)"}')" >/dev/null
    echo "Updated issue #$number: $title"
  else
    number=$(api POST /issues "$payload" | jq -r .number)
    echo "Opened issue #$number: $title"
  fi
}

case "${1:-}" in
pages-private) pages_private ;;
wait-earlier-runs) wait_earlier_runs ;;
report-outcome) report_outcome ;;
*)
  echo "Usage: $0 pages-private | wait-earlier-runs | report-outcome" >&2
  exit 2
  ;;
esac
