#!/bin/bash
# Lab glue for wg-quick's userspace fallback (WG_QUICK_USERSPACE_IMPLEMENTATION points here): the
# kernel has no WireGuard module. Starts the real wireguard-go in the foreground (a daemonised one
# keeps the caller's stdout open), in its own session with output to a log file, records its PID
# in the lab's registry, and returns once the interface and its control socket exist.
set -euo pipefail
iface=$1
name="${V6L_NODE:?}-wireguard-go-$iface"
pidfile="${V6L_PID_DIR:?}/$name.pid"
log="${V6L_LOG_DIR:?}/$name.log"
rm -f "$pidfile.new"
# The child writes its own PID, start time and name, then becomes wireguard-go (exec keeps the PID).
setsid -f bash -c 'read -r -a st < /proc/$$/stat; printf "{\"pid\":%s,\"starttime\":%s,\"comm\":\"wireguard-go\",\"name\":\"%s\"}\n" "$$" "${st[21]}" "$3" > "$1.new"; mv "$1.new" "$1"; exec env WG_PROCESS_FOREGROUND=1 wireguard-go "$2"' \
    _ "$pidfile" "$iface" "$name" >> "$log" 2>&1 < /dev/null
for _ in $(seq 200); do
    if [ -S "/var/run/wireguard/$iface.sock" ] && ip link show "$iface" >/dev/null 2>&1; then
        exit 0
    fi
    sleep 0.025
done
echo "wireguard-go (lab glue): $iface did not come up in 5 s; see $log" >&2
exit 1
