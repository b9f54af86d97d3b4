#!/usr/bin/env bash
# After a blue/green switch (or its rollback): the public HTTPRoutes are the switch, so both must name the given
# colour's Services (`api-<colour>`, `web-<colour>`) and the stack's Gateway must have accepted them with their
# backends resolved. Retried while Envoy Gateway reconciles the update.
# Usage: scripts/check-routes.sh NAMESPACE COLOUR
#   e.g. scripts/check-routes.sh football-prediction-prod green
# ROUTE_ATTEMPTS (default 30) and ROUTE_INTERVAL_SECONDS (default 2) bound the retries.
# Exits 0 when both routes point at the colour and are accepted, 1 when they still do not after the retries, 2 on
# bad usage.
set -euo pipefail

if [ "$#" -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
  echo "usage: $0 NAMESPACE COLOUR" >&2
  exit 2
fi
namespace=$1
colour=$2
attempts=${ROUTE_ATTEMPTS:-30}
interval=${ROUTE_INTERVAL_SECONDS:-2}

condition() {
  kubectl --namespace "$namespace" get httproute "$1" \
    -o jsonpath="{.status.parents[0].conditions[?(@.type==\"$2\")].status}"
}

for tier in api web; do
  for attempt in $(seq 1 "$attempts"); do
    routed=$(kubectl --namespace "$namespace" get httproute "$tier" -o jsonpath='{.spec.rules[0].backendRefs[0].name}')
    accepted=$(condition "$tier" Accepted)
    resolved=$(condition "$tier" ResolvedRefs)
    if [ "$routed" = "$tier-$colour" ] && [ "$accepted" = True ] && [ "$resolved" = True ]; then
      echo "HTTPRoute $tier: $routed, accepted"
      break
    fi
    if [ "$attempt" -eq "$attempts" ]; then
      echo "HTTPRoute $tier does not serve $tier-$colour: it names ${routed:-no backend} (Accepted: ${accepted:-unknown}, ResolvedRefs: ${resolved:-unknown})" >&2
      exit 1
    fi
    sleep "$interval"
  done
done
