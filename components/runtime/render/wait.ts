// Shell functions the start and wait scripts share. A wait of up to 15 minutes must not look like a
// hang: it prints a progress line every few seconds, and when it gives up it prints what explains
// the failure (the unit's journal, or the static pods and their logs) before exiting non-zero.

/** Where crictl finds containerd when the host has no /etc/crictl.yaml. */
const CRICTL_ENDPOINT = "unix:///run/containerd/containerd.sock";

/** Default seconds between two progress lines. */
export const DEFAULT_PROGRESS_SECONDS = 5;

/**
 * The functions, for the top of a script (after `set -euo pipefail`):
 * - `wait_until SECONDS WHAT DIAGNOSE CHECK...` runs CHECK about once a second until it succeeds;
 *   prints "waiting for WHAT (Ns of SECONDSs)" every `progressSeconds`; on timeout prints
 *   "WHAT: not ready within SECONDSs", runs DIAGNOSE (a command, `true` for none) and exits 1.
 * - `http_ok URL` (curl, TLS not verified: the certificates are the cluster's own, on [::1]).
 * - `show_unit UNIT` prints the unit's last 50 journal lines.
 * - `show_pods CONTAINER...` prints `crictl ps -a` and each container's last 50 log lines; without
 *   crictl (not installed by v6k8s) the kubelet's own copies under /var/log/pods.
 */
export function renderWaitFunctions(progressSeconds = DEFAULT_PROGRESS_SECONDS): string {
    return `progress_seconds=${progressSeconds}
wait_until() {
    local seconds=$1 what=$2 diagnose=$3
    shift 3
    local start=$SECONDS
    local next=$((SECONDS + progress_seconds))
    until "$@"; do
        if [ $((SECONDS - start)) -ge "$seconds" ]; then
            echo "$what: not ready within \${seconds}s" >&2
            $diagnose >&2 || true
            exit 1
        fi
        if [ "$SECONDS" -ge "$next" ]; then
            echo "waiting for $what ($((SECONDS - start))s of \${seconds}s)"
            next=$((SECONDS + progress_seconds))
        fi
        sleep 1
    done
    echo "$what: ready after $((SECONDS - start))s"
}
http_ok() {
    curl -fsk --max-time 2 "$1" >/dev/null 2>&1
}
show_unit() {
    echo "--- journalctl -u $1 -n 50 --no-pager"
    journalctl -u "$1" -n 50 --no-pager 2>&1 || true
}
show_pods() {
    local c id log
    if command -v crictl >/dev/null 2>&1; then
        echo "--- crictl ps -a"
        crictl --runtime-endpoint ${CRICTL_ENDPOINT} ps -a 2>&1 || true
        for c in "$@"; do
            id=$(crictl --runtime-endpoint ${CRICTL_ENDPOINT} ps -a --name "^$c\\$" -q 2>/dev/null | head -n 1 || true)
            if [ -n "$id" ]; then
                echo "--- crictl logs --tail 50 $id ($c)"
                crictl --runtime-endpoint ${CRICTL_ENDPOINT} logs --tail 50 "$id" 2>&1 || true
            else
                echo "--- no $c container"
            fi
        done
    else
        echo "--- crictl not installed; the kubelet's copies of the container logs"
        for c in "$@"; do
            log=$(ls -t /var/log/pods/kube-system_"$c"-*/"$c"/*.log 2>/dev/null | head -n 1 || true)
            if [ -n "$log" ]; then
                echo "--- tail -n 50 $log"
                tail -n 50 "$log" 2>&1 || true
            else
                echo "--- no log of $c under /var/log/pods"
            fi
        done
    fi
    show_unit kubelet
}`;
}
