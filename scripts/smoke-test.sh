#!/usr/bin/env bash
# Post-deploy smoke test, each check retried while a fresh rollout warms up (readiness waits for the database, the
# migrations and a fitted model).
# Usage: scripts/smoke-test.sh [--web] URL [OPS_URL]
#   e.g. scripts/smoke-test.sh http://127.0.0.1:8000 http://127.0.0.1:8001
#        scripts/smoke-test.sh --web http://127.0.0.1:8003 http://127.0.0.1:8004
# Without --web, URL is the API (`serve`): liveness and readiness, one real prediction, and the page `serve` shows
# at /. With --web, URL is the page alone (`web`): liveness and readiness, and the page, but no API call. OPS_URL
# serves /health and /ready (OPS_PORT); it defaults to URL, for a stand-in that serves both on one address.
# The page check wants / to answer HTML with the page's Content-Security-Policy and no caching, and the script it
# loads to answer from /assets/ with long-lived caching.
# Exits 0 when every check passes, 1 as soon as one of them has used up its attempts or answers wrongly, 2 on bad
# usage.
#
# SMOKE_ATTEMPTS (default 30) and SMOKE_INTERVAL_SECONDS (default 5) bound the retries of each check;
# SMOKE_TIMEOUT_SECONDS (default 10) bounds one request. SMOKE_LEAGUE, SMOKE_HOME_TEAM and SMOKE_AWAY_TEAM choose
# the pairing; the defaults are teams of the shipped results, so every seeded environment can predict them.
set -euo pipefail

usage() {
  echo "usage: $0 [--web] URL [OPS_URL]" >&2
  exit 2
}

mode=api
if [ "${1:-}" = --web ]; then
  mode=web
  shift
fi
if [ "$#" -lt 1 ] || [ "$#" -gt 2 ] || [ -z "$1" ]; then usage; fi
base_url="${1%/}"
ops_url="${2:-$1}"
ops_url="${ops_url%/}"
attempts="${SMOKE_ATTEMPTS:-30}"
interval="${SMOKE_INTERVAL_SECONDS:-5}"
timeout="${SMOKE_TIMEOUT_SECONDS:-10}"
league="${SMOKE_LEAGUE:-E0}"
home_team="${SMOKE_HOME_TEAM:-Arsenal}"
away_team="${SMOKE_AWAY_TEAM:-Chelsea}"

body_file="$(mktemp)"
header_file="$(mktemp)"
trap 'rm -f "$body_file" "$header_file"' EXIT

# check NAME ACCEPT PATTERN BASE_URL PATH [CURL_ARGS...]: GETs PATH until it answers 200 with a body matching
# PATTERN (an ERE); the response's headers stay in $header_file for expect_header.
check() {
  local name="$1" accept="$2" pattern="$3" url="$4" path="$5" status attempt
  shift 5
  for ((attempt = 1; attempt <= attempts; attempt++)); do
    # A failed connection writes nothing, so the last body shown is never an earlier check's.
    : >"$body_file"
    # 000 when the connection fails: the port-forward or the pods may not be up yet.
    status="$(curl --silent --max-time "$timeout" --output "$body_file" --dump-header "$header_file" \
      --write-out '%{http_code}' --header "Accept: $accept" "$@" "$url$path" 2>/dev/null || true)"
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

# expect_header CHECK HEADER PATTERN: the last response's HEADER matches PATTERN (an ERE, case-insensitive).
expect_header() {
  local name="$1" header="$2" pattern="$3" value
  value="$(grep -i "^$header:" "$header_file" | head -n 1 | cut -d: -f2- | tr -d '\r' | sed 's/^[[:space:]]*//' || true)"
  if ! grep -Eiq -- "$pattern" <<<"$value"; then
    echo "smoke: $name FAILED: $header is \"$value\", expected to match /$pattern/" >&2
    return 1
  fi
}

# The page at /, then the script it loads: a page whose assets are missing from the image renders nothing.
check_page() {
  local asset
  check page 'text/html' '<script[^>]+src="/assets/[^"]+\.js"' "$base_url" /
  expect_header page Content-Type '^text/html'
  expect_header page Content-Security-Policy "script-src 'self'"
  if grep -iq "^Content-Security-Policy:.*unsafe-inline" "$header_file"; then
    echo "smoke: page FAILED: its Content-Security-Policy allows inline code" >&2
    return 1
  fi
  expect_header page Cache-Control 'no-cache'
  asset="$(grep -Eo '<script[^>]+src="/assets/[^"]+\.js"' "$body_file" | head -n 1 | sed -E 's/.*src="([^"]+)"/\1/')"
  check "page script $asset" '*/*' '.' "$base_url" "$asset"
  expect_header "page script" Content-Type 'javascript'
  expect_header "page script" Cache-Control 'max-age=[0-9]{6,}.*immutable|immutable.*max-age=[0-9]{6,}'
}

check health 'application/json' '.' "$ops_url" /health
check ready 'application/json' '.' "$ops_url" /ready
if [ "$mode" = api ]; then
  check prediction 'application/json' '"homeWin"[[:space:]]*:[[:space:]]*0?\.[0-9]' "$base_url" /api/v1/predictions --get \
    --data-urlencode "league=$league" --data-urlencode "home=$home_team" --data-urlencode "away=$away_team"
fi
check_page
echo "smoke: all checks passed against $base_url ($mode; ops: $ops_url)"
