#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those missing. Run as root (CI is root).
set -euo pipefail

# chromium: the UI's end-to-end tests; libsecret-1-dev, gnome-keyring, dbus: keytar builds and runs headless;
# redis-server, mosquitto: the relay's cache and the MQTT baseline in the bench;
# docker-compose: `docker-compose config` validates the compose file offline;
# wireguard-go, wireguard-tools (wg, wg-quick; without its recommends), nftables, iproute2: real
# tunnels between network namespaces and the mesh's firewall rules (test/deploy, wireguard/);
# prometheus: its promtool checks the relay's /metrics (without the node exporter it recommends);
# faketime: libfaketime steps the agent's wall clock alone in the clock-step test.
PACKAGES=(libsecret-1-dev gnome-keyring dbus redis-server mosquitto iproute2 openssl faketime wireguard-go nftables)
NO_RECOMMENDS=(docker-compose prometheus chromium wireguard-tools)

missing=()
for p in "${PACKAGES[@]}" "${NO_RECOMMENDS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "install-test-deps: installing ${missing[*]}"
  # Wait for another apt run (unattended upgrades, a parallel install) rather than failing on its lock.
  APT_OPTS=(-o DPkg::Lock::Timeout=600)
  $SUDO apt-get "${APT_OPTS[@]}" update -qq
  export DEBIAN_FRONTEND=noninteractive
  want=()
  for p in "${missing[@]}"; do [[ " ${NO_RECOMMENDS[*]} " == *" $p "* ]] || want+=("$p"); done
  ((${#want[@]} > 0)) && $SUDO apt-get "${APT_OPTS[@]}" install -y -qq "${want[@]}"
  nr=()
  for p in "${missing[@]}"; do [[ " ${NO_RECOMMENDS[*]} " == *" $p "* ]] && nr+=("$p"); done
  ((${#nr[@]} > 0)) && $SUDO apt-get "${APT_OPTS[@]}" install -y -qq --no-install-recommends "${nr[@]}"
else
  echo "install-test-deps: all Debian packages present"
fi

# The tests talk to a real Redis on 127.0.0.1:6379; start one if this machine has none running.
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  echo "install-test-deps: starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
