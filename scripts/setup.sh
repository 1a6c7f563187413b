#!/usr/bin/env bash
# Installs what Slipway needs on a fresh Debian machine: system binaries for the local
# driver (PostgreSQL server, redis-server, HAProxy, zstd for backups; wrk for benchmarks) and the npm workspace.
# Idempotent: skips apt when every binary is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
# For the tests: network namespaces of the remote-server e2e, and the check of the systemd unit
# `slipway server install` writes (systemd is not started, only its analyzer is used).
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  echo "slipway setup: installing ${need[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

  # Debian starts a server it has just installed; Slipway runs its own, so stop those (and
  # only those: servers that were already on this machine are someone else's and left alone).
  for pkg in "${need[@]}"; do
    case "$pkg" in
      redis-server | haproxy | postgresql)
        if command -v service >/dev/null 2>&1; then $sudo service "$pkg" stop >/dev/null 2>&1 || true; fi
        ;;
    esac
  done
fi

# `npm install` (not `npm ci`): the registry here lacks some platforms' optional packages
# (e.g. @biomejs/cli-win32-x64), so the lockfile cannot list them and `npm ci` refuses it.
# With the committed lockfile, `npm install` installs exactly the pinned versions.
npm install --no-audit --no-fund
