#!/usr/bin/env bash
# Post-deploy smoke test: liveness, readiness, and one real prediction, each retried while a fresh rollout warms up
# (readiness waits for the database, the migrations and a fitted model).
# Usage: scripts/smoke-test.sh API_URL [OPS_URL]
#   e.g. scripts/smoke-test.sh http://127.0.0.1:8000 http://127.0.0.1:8001
# API_URL serves the API (PORT), OPS_URL /health and /ready (OPS_PORT); OPS_URL defaults to API_URL, for a
# stand-in that serves both on one address.
# Exits 0 when all three pass, 1 as soon as one of them has used up its attempts, 2 on bad usage.
#
# SMOKE_ATTEMPTS (default 30) and SMOKE_INTERVAL_SECONDS (default 5) bound the retries of each check;
# SMOKE_TIMEOUT_SECONDS (default 10) bounds one request. SMOKE_LEAGUE, SMOKE_HOME_TEAM and SMOKE_AWAY_TEAM choose
# the pairing; the defaults are teams of the shipped results, so every seeded environment can predict them.
set -euo pipefail

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ] || [ -z "$1" ]; then
  echo "usage: $0 API_URL [OPS_URL]" >&2
  exit 2
fi
api_url="${1%/}"
ops_url="${2:-$1}"
ops_url="${ops_url%/}"
attempts="${SMOKE_ATTEMPTS:-30}"
interval="${SMOKE_INTERVAL_SECONDS:-5}"
timeout="${SMOKE_TIMEOUT_SECONDS:-10}"
league="${SMOKE_LEAGUE:-E0}"
home_team="${SMOKE_HOME_TEAM:-Arsenal}"
away_team="${SMOKE_AWAY_TEAM:-Chelsea}"

body_file="$(mktemp)"
trap 'rm -f "$body_file"' EXIT

# check NAME PATTERN BASE_URL PATH [CURL_ARGS...]: GETs PATH until it answers 200 with a body matching PATTERN (an ERE).
check() {
  local name="$1" pattern="$2" base_url="$3" path="$4" status attempt
  shift 4
  for ((attempt = 1; attempt <= attempts; attempt++)); do
    # 000 when the connection fails: the port-forward or the pods may not be up yet.
    status="$(curl --silent --max-time "$timeout" --output "$body_file" --write-out '%{http_code}' \
      --header 'Accept: application/json' "$@" "$base_url$path" 2>/dev/null || true)"
    if [ "$status" = 200 ] && grep -Eq "$pattern" "$body_file"; then
      echo "smoke: $name ok (attempt $attempt)"
      return 0
    fi
    echo "smoke: $name not yet: GET $path -> HTTP $status (attempt $attempt/$attempts)" >&2
    if [ "$attempt" -lt "$attempts" ]; then sleep "$interval"; fi
  done
  echo "smoke: $name FAILED; last response body:" >&2
  head -c 2000 "$body_file" >&2 || true
  echo >&2
  return 1
}

check health '.' "$ops_url" /health
check ready '.' "$ops_url" /ready
check prediction '"homeWin"[[:space:]]*:[[:space:]]*0?\.[0-9]' "$api_url" /api/v1/predictions --get \
  --data-urlencode "league=$league" --data-urlencode "home=$home_team" --data-urlencode "away=$away_team"
echo "smoke: all checks passed against $api_url (ops: $ops_url)"
