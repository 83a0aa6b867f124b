#!/usr/bin/env bash
# Removes the Boiler Controller agent installed by build/install-agent.sh. Run as root.
#
#   sudo build/uninstall-agent.sh [--purge] [--root DIR]
#
# Stops and disables boiler-agent (its SIGTERM puts every output in its safe state), removes the
# unit and /opt/boiler-controller. The site's data stays: /var/lib/boiler-controller (the event
# log, the TLS pair the relay pins), /etc/boiler-controller (settings, zones, secrets) and the
# boiler user, so a reinstall picks up where it was. --purge removes those too (and the 1-wire
# line this installer added to the boot config).
set -euo pipefail

ROOT=""
PURGE=0
die() { echo "uninstall-agent: $*" >&2; exit 2; }
say() { echo "uninstall-agent: $*"; }

while (($# > 0)); do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --purge) PURGE=1; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ $(id -u) -eq 0 ]] || die "run as root (sudo)"
if [[ -n "$ROOT" ]]; then ROOT="$(cd "$ROOT" && pwd)" || die "--root $ROOT: no such directory"; fi

UNIT="$ROOT/etc/systemd/system/boiler-agent.service"
if [[ -n "$ROOT" ]]; then
  [[ -f "$UNIT" ]] && systemctl --root="$ROOT" disable boiler-agent.service >/dev/null 2>&1 || true
else
  systemctl disable --now boiler-agent.service 2>/dev/null || true
fi
rm -f "$UNIT"
rm -rf "$ROOT/opt/boiler-controller"
[[ -z "$ROOT" ]] && systemctl daemon-reload
say "removed the service and /opt/boiler-controller"

if ((PURGE)); then
  rm -rf "$ROOT/var/lib/boiler-controller" "$ROOT/etc/boiler-controller"
  for boot in "$ROOT/boot/firmware/config.txt" "$ROOT/boot/config.txt"; do
    [[ -f "$boot" ]] && sed -i '/^# Boiler Controller: DS18B20 sensors/{N;/\ndtoverlay=w1-gpio/d}' "$boot"
  done
  if grep -q '^boiler:' "$ROOT/etc/passwd"; then
    if [[ -n "$ROOT" ]]; then userdel --prefix "$ROOT" boiler; else userdel boiler; fi
  fi
  say "purged the data (/var/lib/boiler-controller), the settings and secrets (/etc/boiler-controller) and the boiler user"
else
  say "kept /var/lib/boiler-controller and /etc/boiler-controller (--purge removes them)"
fi
