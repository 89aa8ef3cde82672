#!/bin/bash
# Runs a command as a lab host (or pod) would see its own machine. Called as
#   ip netns exec <ns> lab/sh/in-ns.sh <root> <command> [args...]
# `ip netns exec` already gave us a private mount namespace (a slave of the root one, so nothing
# mounted here propagates back). Each path listed in <root>/.binds (one per line, absolute) is
# bind-mounted from <root><path>: a host gets its own /etc/wireguard, /etc/cni, /etc/v6k8s,
# /usr/local/lib/v6k8s, /var/lib/cni, /run/wireguard (wireguard-go's control socket), ... exactly
# where production puts them, so the rendered scripts run unchanged. $V6L_GLUE, when set,
# goes first on PATH: it replaces only what cannot run in a namespace (systemctl, modprobe).
set -euo pipefail
root=$1
shift
if [ -f "$root/.binds" ]; then
    while IFS= read -r path; do
        [ -n "$path" ] || continue
        mount --bind "$root$path" "$path"
    done < "$root/.binds"
fi
[ -n "${V6L_GLUE:-}" ] && export PATH="$V6L_GLUE:$PATH"
exec "$@"
