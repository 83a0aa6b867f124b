#!/usr/bin/env bash
# Installs the Boiler Controller agent on Raspberry Pi OS (Bookworm), from a checkout where
# `npm run build:agent` has made agent/dist/main.mjs. Run as root; safe to run again (an upgrade):
# a second run with the same sources changes nothing.
#
#   sudo build/install-agent.sh [--ws-host 10.77.0.2] [--time-zone America/Denver] [--one-wire [PIN]]
#                               [--shared-secret-file F] [--api-key-file F] [--no-enable] [--root DIR]
#
# - the boiler system user (no login, no home), in the gpio group;
# - /opt/boiler-controller: the agent bundle and its production dependencies only (npm ci --omit=dev);
# - /etc/boiler-controller: agent.env (settings, no secrets), zones.json and hardware.pi.json (kept
#   once written: they are the site's), shared-secret and api-key (root 0600, handed to the service
#   as systemd credentials: SHARED_SECRET_FILE and API_KEY_FILE point at them; made here when absent);
# - /var/lib/boiler-controller: the database and the agent's TLS pair (boiler 0700);
# - 1-wire (DS18B20 sensors) when asked: dtoverlay=w1-gpio in the boot config (a reboot applies it);
# - the boiler-agent service, enabled and started.
# --root DIR installs into DIR instead of / (tests, images): nothing is started, nothing outside DIR touched.
set -euo pipefail

ROOT=""
WS_HOST="10.77.0.2"
TIME_ZONE=""
ONE_WIRE=""
SECRET_FROM=""
API_KEY_FROM=""
ENABLE=1
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NPM="${BOILER_NPM:-npm}"

die() { echo "install-agent: $*" >&2; exit 2; }
say() { echo "install-agent: $*"; }

while (($# > 0)); do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --ws-host) WS_HOST="${2:?--ws-host needs the tunnel address of the Pi}"; shift 2 ;;
    --time-zone) TIME_ZONE="${2:?--time-zone needs an IANA name}"; shift 2 ;;
    --one-wire)
      if [[ "${2:-}" =~ ^[0-9]+$ ]]; then ONE_WIRE="$2"; shift 2; else ONE_WIRE=4; shift; fi ;;
    --shared-secret-file) SECRET_FROM="${2:?}"; shift 2 ;;
    --api-key-file) API_KEY_FROM="${2:?}"; shift 2 ;;
    --no-enable) ENABLE=0; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

[[ $(id -u) -eq 0 ]] || die "run as root (sudo): it makes a user, writes /etc and enables a service"
if [[ -n "$ROOT" ]]; then
  ROOT="$(cd "$ROOT" && pwd)" || die "--root $ROOT: no such directory"
  [[ -f "$ROOT/etc/passwd" && -f "$ROOT/etc/group" ]] || die "--root $ROOT has no etc/passwd and etc/group"
fi
[[ -f "$SRC/agent/dist/main.mjs" ]] || die "$SRC/agent/dist/main.mjs is missing: run npm run build:agent first"

OPT="$ROOT/opt/boiler-controller"
ETC="$ROOT/etc/boiler-controller"
STATE="$ROOT/var/lib/boiler-controller"
UNIT="$ROOT/etc/systemd/system/boiler-agent.service"
CHANGED=0

# ---- the user ----------------------------------------------------------------------------------
ACCOUNT_OPTS=()
[[ -n "$ROOT" ]] && ACCOUNT_OPTS=(--prefix "$ROOT")
if ! grep -q '^gpio:' "$ROOT/etc/group"; then
  # Raspberry Pi OS has it (udev makes /sys/class/gpio group-writable for it); elsewhere, make it.
  groupadd "${ACCOUNT_OPTS[@]}" --system gpio
  say "made the gpio group"; CHANGED=1
fi
if ! grep -q '^boiler:' "$ROOT/etc/passwd"; then
  useradd "${ACCOUNT_OPTS[@]}" --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin --comment "Boiler Controller agent" --groups gpio boiler
  say "made the boiler user"; CHANGED=1
elif ! grep -Eq '^gpio:[^:]*:[^:]*:(.*,)?boiler(,|$)' "$ROOT/etc/group"; then
  usermod "${ACCOUNT_OPTS[@]}" --append --groups gpio boiler
  say "added boiler to the gpio group"; CHANGED=1
fi
# Numeric ids from the target's own files (under --root the host has no boiler user).
BOILER_UID="$(awk -F: '$1=="boiler"{print $3}' "$ROOT/etc/passwd")"
BOILER_GID="$(awk -F: '$1=="boiler"{print $4}' "$ROOT/etc/passwd")"

# ---- files: written only when their content, mode or owner differ ---------------------------------
# put SRC DEST MODE OWNER(uid:gid)
put() {
  local from="$1" to="$2" mode="$3" owner="$4"
  if [[ -f "$to" ]] && cmp -s "$from" "$to"; then
    :
  else
    install -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" -T "$from" "$to"
    say "wrote ${to#"$ROOT"}"; CHANGED=1
    return
  fi
  if [[ "$(stat -c '%a %u:%g' "$to")" != "$(printf '%o' "0$mode") $owner" ]]; then
    chmod "$mode" "$to"; chown "$owner" "$to"
    say "fixed the mode or owner of ${to#"$ROOT"}"; CHANGED=1
  fi
}
# dir PATH MODE OWNER
dir() {
  local path="$1" mode="$2" owner="$3"
  if [[ ! -d "$path" ]]; then
    install -d -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$path"
    say "made ${path#"$ROOT"}/"; CHANGED=1
  elif [[ "$(stat -c '%a %u:%g' "$path")" != "$(printf '%o' "0$mode") $owner" ]]; then
    chmod "$mode" "$path"; chown "$owner" "$path"
    say "fixed the mode or owner of ${path#"$ROOT"}/"; CHANGED=1
  fi
}
# keep SRC DEST MODE OWNER: the site's own file, written once and never overwritten.
keep() {
  if [[ -f "$2" ]]; then return; fi
  put "$@"
}

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

for d in "$ROOT/opt" "$ROOT/etc" "$ROOT/etc/systemd" "$ROOT/etc/systemd/system" "$ROOT/var" "$ROOT/var/lib"; do
  [[ -d "$d" ]] || install -d -m 0755 "$d"
done
dir "$OPT" 0755 0:0
dir "$OPT/agent" 0755 0:0
dir "$OPT/agent/dist" 0755 0:0
dir "$OPT/shared" 0755 0:0
dir "$OPT/service" 0755 0:0
dir "$ETC" 0755 0:0
dir "$STATE" 0700 "$BOILER_UID:$BOILER_GID"

# ---- the code: the bundle and the manifests its production install needs -----------------------
put "$SRC/agent/dist/main.mjs" "$OPT/agent/dist/main.mjs" 0644 0:0
put "$SRC/package.json" "$OPT/package.json" 0644 0:0
put "$SRC/package-lock.json" "$OPT/package-lock.json" 0644 0:0
for ws in agent shared service; do put "$SRC/$ws/package.json" "$OPT/$ws/package.json" 0644 0:0; done

# Production dependencies only (better-sqlite3, onoff, epoll are built for this Pi), and only when
# the lockfile or a manifest changed since the last install.
STAMP="$OPT/.deps-installed"
cat "$OPT/package-lock.json" "$OPT/agent/package.json" "$OPT/shared/package.json" "$OPT/service/package.json" | sha256sum | cut -d' ' -f1 > "$TMP/stamp"
if ! cmp -s "$TMP/stamp" "$STAMP"; then
  say "installing the agent's production dependencies (npm ci --omit=dev; a few minutes on a Pi)"
  (cd "$OPT" && npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
    "$NPM" ci --omit=dev --workspace agent --include-workspace-root=false)
  install -m 0644 "$TMP/stamp" "$STAMP"; CHANGED=1
fi

# ---- settings and secrets --------------------------------------------------------------------------
if [[ -z "$TIME_ZONE" ]]; then
  TIME_ZONE="$(cat "$ROOT/etc/timezone" 2>/dev/null || true)"
  TIME_ZONE="${TIME_ZONE:-America/Denver}"
fi
cat > "$TMP/agent.env" <<ENV
# Boiler Controller agent settings (read by boiler-agent.service). No secrets here: they are
# the root-only files shared-secret and api-key beside this one.
# WS_HOST: the Pi's WireGuard address (npm run mesh -- show); the relay reaches the agent there only.
WS_HOST=$WS_HOST
WS_PORT=8001
TIME_ZONE=$TIME_ZONE
ZONES_FILE=/etc/boiler-controller/zones.json
HARDWARE_FILE=/etc/boiler-controller/hardware.pi.json
LOG_LEVEL=info
ENV
keep "$TMP/agent.env" "$ETC/agent.env" 0644 0:0
keep "$SRC/agent/zones.json" "$ETC/zones.json" 0644 0:0
keep "$SRC/agent/hardware.pi.example.json" "$ETC/hardware.pi.json" 0644 0:0

# secret NAME FROM: copied from FROM when given, else made once (32 random bytes, base64).
secret() {
  local name="$1" from="$2"
  if [[ -n "$from" ]]; then
    [[ -r "$from" ]] || die "cannot read $from"
    tr -d '\n' < "$from" > "$TMP/$name"; echo >> "$TMP/$name"
    put "$TMP/$name" "$ETC/$name" 0600 0:0
  elif [[ ! -f "$ETC/$name" ]]; then
    head -c 32 /dev/urandom | base64 > "$TMP/$name"
    put "$TMP/$name" "$ETC/$name" 0600 0:0
    say "made ${ETC#"$ROOT"}/$name (0600): copy it to the NAS (docs/DEPLOY.md); it is not printed"
  else
    put "$ETC/$name" "$ETC/$name" 0600 0:0
  fi
}
secret shared-secret "$SECRET_FROM"
secret api-key "$API_KEY_FROM"

# ---- 1-wire ------------------------------------------------------------------------------------
if [[ -n "$ONE_WIRE" ]]; then
  BOOT="$ROOT/boot/firmware/config.txt"
  [[ -f "$BOOT" ]] || BOOT="$ROOT/boot/config.txt"
  [[ -f "$BOOT" ]] || die "no boot config (boot/firmware/config.txt or boot/config.txt) for --one-wire"
  if ! grep -Eq '^dtoverlay=w1-gpio' "$BOOT"; then
    printf '# Boiler Controller: DS18B20 sensors on the 1-wire bus (GPIO %s)\ndtoverlay=w1-gpio,gpiopin=%s\n' "$ONE_WIRE" "$ONE_WIRE" >> "$BOOT"
    say "enabled 1-wire on GPIO $ONE_WIRE in ${BOOT#"$ROOT"} (reboot to apply)"; CHANGED=1
  fi
fi

# ---- the service -------------------------------------------------------------------------------
put "$SRC/build/boiler-agent.service" "$UNIT" 0644 0:0
if ((ENABLE)); then
  if [[ -n "$ROOT" ]]; then
    if [[ ! -L "$ROOT/etc/systemd/system/multi-user.target.wants/boiler-agent.service" ]]; then
      systemctl --root="$ROOT" enable boiler-agent.service >/dev/null 2>&1
      say "enabled boiler-agent (in $ROOT)"; CHANGED=1
    fi
  else
    systemctl daemon-reload
    if ! systemctl is-enabled --quiet boiler-agent.service; then systemctl enable boiler-agent.service; CHANGED=1; fi
    # An upgrade restarts the agent on the new code; outputs are re-derived at start.
    if ((CHANGED)); then systemctl restart boiler-agent.service; else systemctl start boiler-agent.service; fi
  fi
fi

if ((CHANGED)); then say "done"; else say "nothing to change"; fi
