#!/bin/bash
# What systemd does with a service, for the cluster lab's hosts: unit.sh start|restart|stop|is-active UNIT.
# Reads the unit file as it is on the host (/etc/systemd/system, else /lib/systemd/system), runs
# ExecStartPre lines, then ExecStart in its own session with Environment= set, output to
# $V6L_LOG_DIR/<node>-<unit>.log, and records its PID like every lab process (lab/processes.ts:
# pid, start time, comm, name in $V6L_PID_DIR), so the lab stops it by PID. A lab adaptation of a
# unit, if any, is in unit.d/<unit>.sh (lab/README, glue table).
set -euo pipefail
verb=$1 unit=$2
[[ $unit == *.* ]] || unit=$unit.service
# Timers and other non-service units are not emulated: enabling one is logged (systemctl), not run.
if [[ $unit != *.service ]]; then
    [ "$verb" = is-active ] && exit 3
    exit 0
fi
base=${unit%.service}
name=$(printf '%s' "${V6L_NODE:?}-$base" | tr -c 'A-Za-z0-9_.-' _)
pidfile="${V6L_PID_DIR:?}/$name.pid"
log="${V6L_LOG_DIR:?}/$name.log"

starttime() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }
recorded() { sed -n 's/.*"pid":\([0-9]*\).*"starttime":\([0-9]*\).*/\1 \2/p' "$pidfile" 2>/dev/null; }
running() {
    local rec pid st
    rec=$(recorded) || return 1
    [ -n "$rec" ] || return 1
    read -r pid st <<<"$rec"
    [ "$(starttime "$pid")" = "$st" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null
}

kill_mode() {
    local file=/etc/systemd/system/$unit
    [ -f "$file" ] || file=/lib/systemd/system/$unit
    sed -n 's/^KillMode=//p' "$file" 2>/dev/null | tail -n 1
}

stop() {
    if running; then
        local pid; read -r pid _ <<<"$(recorded)"
        # KillMode=process (containerd: its shims and containers must outlive it): the main
        # process only (a supervisor passes the signal to its daemon alone). Otherwise the unit's
        # whole process group, as systemd kills the unit's cgroup.
        if [ "$(kill_mode)" = process ]; then
            kill -TERM "$pid" 2>/dev/null || true
        else
            kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        fi
        for _ in $(seq 100); do running || break; sleep 0.1; done
        running && kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 50); do running || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
}

start() {
    running && return 0
    local file=/etc/systemd/system/$unit
    [ -f "$file" ] || file=/lib/systemd/system/$unit
    [ -f "$file" ] || { echo "unit.sh: $unit not found" >&2; return 5; }
    # [Service] lines of the unit and then of its drop-ins (<unit>.d/*.conf, in name order, as
    # systemd reads them), continuation lines joined.
    local service f
    service=$(for f in "$file" "/etc/systemd/system/$unit.d"/*.conf; do
        if [ -f "$f" ]; then sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$f" | awk '/^\[/{s=($0=="[Service]")} s'; fi
    done)
    local line pre=() post=() exec_start="" type=simple restart=no restart_sec=0.1
    while IFS= read -r line; do
        case $line in
            Type=*) type=${line#Type=} ;;
            Restart=*) restart=${line#Restart=} ;;
            RestartSec=*) restart_sec=${line#RestartSec=} ;;
            Environment=*) eval "export ${line#Environment=}" ;;
            ExecStartPre=*) pre+=("${line#ExecStartPre=}") ;;
            ExecStartPost=*) post+=("${line#ExecStartPost=}") ;;
            ExecStart=*) exec_start=${line#ExecStart=} ;;
        esac
    done <<<"$service"
    for p in "${pre[@]}"; do
        if [[ $p == -* ]]; then bash -c "${p#-}" >>"$log" 2>&1 || true; else bash -c "$p" >>"$log" 2>&1; fi
    done
    read -r -a argv <<<"$exec_start"
    local adapt ready_check=""
    adapt="$(dirname "${BASH_SOURCE[0]}")/unit.d/$base.sh"
    # shellcheck source=/dev/null
    [ -f "$adapt" ] && . "$adapt"
    echo "== $(date -u +%FT%TZ) unit.sh: starting ${argv[*]}" >>"$log"
    if [ "$type" = oneshot ]; then
        # Type=oneshot: systemd's start returns once the command has exited, and fails if it failed.
        local rc=0
        "${argv[@]}" >>"$log" 2>&1 </dev/null || rc=$?
        echo "== $(date -u +%FT%TZ) unit.sh: exited $rc" >>"$log"
        [ "$rc" = 0 ] || { echo "unit.sh: $unit failed (exit $rc); see $log" >&2; return "$rc"; }
        for p in "${post[@]}"; do
            if [[ $p == -* ]]; then bash -c "${p#-}" >>"$log" 2>&1 || true; else bash -c "$p" >>"$log" 2>&1; fi
        done
        return 0
    fi
    if [ "$restart" = always ] || [ "$restart" = on-failure ]; then
        # Restart=: a supervisor (the recorded process, its group's leader) runs the daemon again
        # RestartSec after it exits, and passes a stop on to it.
        setsid bash -c '
            trap "kill -TERM \$child 2>/dev/null; wait \$child; exit 0" TERM INT
            delay=$1; shift
            while :; do
                "$@" & child=$!
                wait $child; rc=$?
                echo "== $(date -u +%FT%TZ) unit.sh: exited $rc; restarting in ${delay}s"
                sleep "$delay" & wait $!
            done' supervise "${restart_sec%s}" "${argv[@]}" >>"$log" 2>&1 </dev/null &
    else
        setsid "${argv[@]}" >>"$log" 2>&1 </dev/null &
    fi
    local pid=$! st=""
    for _ in $(seq 50); do st=$(starttime "$pid"); [ -n "$st" ] && break; sleep 0.02; done
    [ -n "$st" ] || { echo "unit.sh: $unit exited at once; see $log" >&2; return 1; }
    local comm; comm=$(cat "/proc/$pid/comm" 2>/dev/null || echo "?")
    printf '{"pid":%s,"starttime":%s,"comm":"%s","name":"%s"}\n' "$pid" "$st" "$comm" "$name" > "$pidfile"
    # Type=notify: systemd returns once the daemon says it is ready; the unit's ready check
    # (unit.d) stands in for the notification.
    if [ "$type" = notify ] && [ -n "$ready_check" ]; then
        local ready=no
        for _ in $(seq 600); do bash -c "$ready_check" >/dev/null 2>&1 && { ready=yes; break; }; sleep 0.1; done
        [ "$ready" = yes ] || { echo "unit.sh: $unit did not become ready within 60 s; see $log" >&2; return 1; }
    fi
    # ExecStartPost: once the service has started (for Type=simple, once it was forked).
    for p in "${post[@]}"; do
        if [[ $p == -* ]]; then bash -c "${p#-}" >>"$log" 2>&1 || true; else bash -c "$p" >>"$log" 2>&1; fi
    done
}

case $verb in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    is-active) running ;;
    *) echo "unit.sh: unknown verb $verb" >&2; exit 2 ;;
esac
