// Scripts that (re)start the node's Kubernetes services and wait until they serve. Control-plane
// nodes are upgraded one at a time: each waits for its own apiserver before the next one starts.
// They start what this folder renders (containerd, the kubelet, etcd's manifest and backup), so they
// live beside it; runtime/ below holds only what needs none of it (the installer, the wait functions).
import { posix } from "path";
import { renderWaitFunctions } from "../../runtime/render/wait";
import { ControlPlaneNodeRole, renderControlPlaneNodeRoles } from "./nodeRoles";
import { ETCD_BACKUP_UNIT } from "./etcdBackup";
import { CONTAINERD_CONFIG_PATH, CONTAINERD_UNIT_PATH } from "./containerd";
import { KUBELET_UNIT_PATH } from "./kubelet";
import { ETCD_DATA_DIR, PATHS } from "../paths";
import { RUNNING_CONTAINER_FUNCTIONS, etcdctlInPodFunctions } from "./etcdMembers";
import { ETCD_MANIFEST_PATH } from "./etcd";
import { ETCD_REJOIN_MARKER, ETCD_REJOIN_PATH } from "./etcdRejoin";
import { kubernetesMinor } from "../../common/releases";

export const SKEW_CHECK_PATH = "/usr/local/lib/v6k8s/skew-check.sh";
export const START_KUBELET_PATH = "/usr/local/lib/v6k8s/start-kubelet.sh";
export const WAIT_CONTROL_PLANE_PATH = "/usr/local/lib/v6k8s/wait-control-plane.sh";

/**
 * Refuses a kubelet version that skips a minor or goes back more than one (the version-skew
 * policy), and on a control-plane node any step back of the minor: etcd refuses to run on data a
 * newer minor wrote unless its own downgrade procedure ran first, and the apiserver may have
 * stored objects in versions the older one cannot read. Runs before anything on the host changes.
 */
export function renderSkewCheck(target: string, opts: { readonly controlPlane: boolean }): string {
    const minor = kubernetesMinor(target);
    const back = opts.controlPlane
        ? `    if [ ${minor} -lt "$current" ]; then
        echo "cluster.kubernetesVersion: refusing to take this control-plane node from 1.$current back to ${target}: etcd and the apiserver's stored objects do not go back a minor; restore a backup taken on 1.${minor} instead (README, Day-2 operations)" >&2
        exit 1
    fi`
        : `    if [ ${minor} -lt $((current - 1)) ]; then
        echo "cluster.kubernetesVersion: refusing to go from 1.$current back to ${target}: more than one minor" >&2
        exit 1
    fi`;
    return `#!/bin/bash
# Rendered by v6k8s. Version-skew preflight for Kubernetes ${target}${opts.controlPlane ? " on a control-plane node" : ""}.
set -euo pipefail
current=$(/usr/local/bin/kubelet --version 2>/dev/null | sed -n 's/^Kubernetes v1\\.\\([0-9]*\\)\\..*/\\1/p' || true)
if [ -n "$current" ]; then
    if [ ${minor} -gt $((current + 1)) ]; then
        echo "cluster.kubernetesVersion: refusing to go from 1.$current to ${target}: upgrade one minor version at a time" >&2
        exit 1
    fi
${back}
fi
`;
}

/**
 * What each daemon reads only when it starts (its unit, its configuration, its binary and, for
 * the kubelet, its credentials). The start step restarts a daemon only when one of these changed
 * since its last start there, or when it is not running: a re-run with nothing new (a trigger
 * that changed for another step's sake) leaves both running. containerd's registry hosts files
 * are read at each pull and the static pod manifests are watched: neither needs a restart.
 */
export const START_INPUTS: Readonly<Record<"containerd.service" | "kubelet.service", readonly string[]>> = {
    "containerd.service": [CONTAINERD_UNIT_PATH, CONTAINERD_CONFIG_PATH, "/usr/local/bin/containerd"],
    "kubelet.service": [
        KUBELET_UNIT_PATH,
        PATHS.kubeletConfig,
        PATHS.kubeletKubeconfig,
        "/usr/local/bin/kubelet",
        PATHS.clusterCa.cert,
        PATHS.kubeletClient.cert,
        PATHS.kubeletClient.key,
        PATHS.kubeletServing.cert,
        PATHS.kubeletServing.key,
    ],
};

/** Where the start step keeps the hash of each daemon's START_INPUTS as of its last start. */
export const STARTED_STAMP_DIR = "/var/lib/v6k8s/started";

export interface StartOptions {
    readonly controlPlane: boolean;
    /**
     * A member joining a running etcd (joinEtcd): its cluster has a quorum as soon as it runs, so it
     * waits like a running member does, also at its first start; default false.
     */
    readonly joining?: boolean;
    /** "1.34.2": the release the local apiserver's /version must report before this node is done. */
    readonly kubernetesVersion: string;
    readonly apiserverPort: number;
    /** The kubelet's /healthz on [::1]. */
    readonly kubeletHealthzPort: number;
    /** etcd's plain-HTTP /health listener on [::1]. */
    readonly etcdMetricsPort: number;
    /** Seconds each wait of an upgraded control-plane node may take; default 600. */
    readonly timeoutSeconds?: number;
    /** Seconds the kubelet may take to answer /healthz; default 120. */
    readonly kubeletTimeoutSeconds?: number;
    /** Seconds between progress lines; default DEFAULT_PROGRESS_SECONDS. */
    readonly progressSeconds?: number;
    /** Seconds no container may start or stop after the kubelet changed release; default 15. */
    readonly settleSeconds?: number;
}

/**
 * Set once this host's etcd member was seen healthy (a linearizable read, so part of a quorum). From
 * then on a restart is an upgrade or a renewal and waits; before, it is a (re-run) bootstrap and
 * does not. etcd creates member/ at its first start, quorum or not, so member/ alone cannot tell:
 * a re-run on the first node before the others exist would wait for a quorum that cannot come, and
 * the nodes chained after it would never start.
 */
export const ETCD_JOINED_MARKER = "/var/lib/v6k8s/etcd-member-healthy";
const ETCD_MEMBER_DIR = "/var/lib/etcd/member";
/** The transient unit that writes the marker once a bootstrapping member becomes healthy. */
export const ETCD_JOINED_WATCHER_UNIT = "v6k8s-etcd-joined-watch";

/**
 * Starts or restarts containerd and the kubelet, then waits for the kubelet. On a control-plane node
 * whose etcd member has been healthy before (ETCD_JOINED_MARKER) it also waits, in this order, for the
 * local etcd's /health, for the local apiserver's /version to report the target release (so the
 * old pod no longer answers) and for its /readyz: the next node starts only once this one serves.
 * At first bootstrap no member can be healthy before a quorum exists, so there it does not wait (the
 * cluster-wide step does); a transient unit writes the marker once the member is healthy. A member
 * joining a running etcd always waits: its cluster had a quorum before, and has one once it runs.
 */
export function renderStartKubelet(opts: StartOptions): string {
    const timeout = opts.timeoutSeconds ?? 600;
    const apiserver = `https://[::1]:${opts.apiserverPort}`;
    const etcdHealth = `http://[::1]:${opts.etcdMetricsPort}/health`;
    const gitVersion = `v${opts.kubernetesVersion}`.replace(/\./g, "\\.");
    const controlPlaneFunctions = opts.controlPlane
        ? `
etcd_healthy() {
    curl -fs --max-time 2 ${etcdHealth} 2>/dev/null | grep -q '"health": *"true"'
}
# /version is not for anonymous requests (render/authentication.ts): asked as this node's kubelet.
apiserver_is_target() {
    curl -fsk --max-time 2 --cert ${PATHS.kubeletClient.cert} --key ${PATHS.kubeletClient.key} ${apiserver}/version 2>/dev/null |
        grep -Eq '"gitVersion": *"${gitVersion}"'
}
mark_joined() {
    mkdir -p ${posix.dirname(ETCD_JOINED_MARKER)}
    touch ${ETCD_JOINED_MARKER}
}
if [ "\${1:-}" = --mark-when-healthy ]; then
    until etcd_healthy; do sleep 5; done
    mark_joined
    exit 0
fi
${
    opts.joining
        ? `# Joining a running etcd (after its member add): healthy once it caught up with the quorum,
# which the members that follow in the rollout need before one of them may restart.
joined=yes`
        : `joined=no
if [ -d ${ETCD_MEMBER_DIR} ]; then
    # Seen healthy now, before the restart: an upgrade of a running member.
    if etcd_healthy; then mark_joined; fi
    [ -e ${ETCD_JOINED_MARKER} ] && joined=yes
else
    # No data (never started, or wiped to join again): whatever the marker said is gone with it.
    rm -f ${ETCD_JOINED_MARKER}
fi`
}
# A host that lost its etcd data while its member is still registered (reinstalled) rejoins as a
# new member before the kubelet starts etcd (etcdRejoin.ts), and then waits like a joining one.
/bin/bash ${ETCD_REJOIN_PATH}
if [ -e ${ETCD_REJOIN_MARKER} ]; then joined=yes; fi`
        : "";
    const controlPlaneWait = opts.controlPlane
        ? `
if [ "$joined" = yes ]; then
    wait_until ${timeout} "the local etcd member's health (${etcdHealth})" "show_pods etcd" etcd_healthy
    # /readyz alone can pass through the old apiserver pod; once /version reports the target, the
    # new one answers.
    wait_until ${timeout} "the local apiserver at ${opts.kubernetesVersion} (${apiserver}/version)" "show_pods kube-apiserver etcd" apiserver_is_target
    wait_until ${timeout} "the local apiserver's ${apiserver}/readyz" "show_pods kube-apiserver etcd" http_ok ${apiserver}/readyz
    if [ -e ${ETCD_REJOIN_MARKER} ]; then /bin/bash ${ETCD_REJOIN_PATH} --finish; fi
    mark_joined
else
    echo "etcd member not yet seen healthy (bootstrap): not waiting for a quorum here, the cluster-wide step does"
    if ! systemctl is-active --quiet ${ETCD_JOINED_WATCHER_UNIT}; then
        systemd-run --quiet --collect --unit=${ETCD_JOINED_WATCHER_UNIT} /bin/bash "$(readlink -f "$0")" --mark-when-healthy || echo "could not start ${ETCD_JOINED_WATCHER_UNIT}: the next run marks the member if it is healthy then" >&2
    fi
fi`
        : "";
    const retireEtcdData = opts.controlPlane ? "" : renderRetireEtcdData();
    return `#!/bin/bash
# Rendered by v6k8s. (Re)starts containerd and the kubelet${opts.controlPlane ? "; after an upgrade, waits for the local etcd and apiserver" : ""}.
set -euo pipefail
${renderWaitFunctions(opts.progressSeconds)}${controlPlaneFunctions}
# The kubelet refuses to run with swap on (Robot's installimage creates swap): off now and at boot.
swapoff -a
sed -i -E '/^[^#].*[[:space:]]swap[[:space:]]/s/^/# disabled by v6k8s: /' /etc/fstab
systemctl daemon-reload
systemctl enable containerd.service kubelet.service${
        opts.controlPlane
            ? `
# etcd snapshots (${ETCD_BACKUP_UNIT}.service); the first one waits for the timer.
systemctl enable --now ${ETCD_BACKUP_UNIT}.timer`
            : ""
    }
# Restart a daemon only if what it reads at start changed since its last start here, or it is
# not running (START_INPUTS). The stamp is written after the restart: an interrupted run restarts again.
restart_if_changed() {
    local unit=$1 stamp=${STARTED_STAMP_DIR}/$1 now
    shift
    now=$(for f in "$@"; do printf '%s ' "$f"; sha256sum 2>/dev/null < "$f" || echo missing; done | sha256sum | cut -d' ' -f1)
    if systemctl is-active --quiet "$unit" && [ "$(cat "$stamp" 2>/dev/null)" = "$now" ]; then
        echo "$unit: running, nothing it reads at start changed: left running"
        return
    fi
    systemctl restart "$unit"
    mkdir -p ${STARTED_STAMP_DIR}
    printf '%s\n' "$now" > "$stamp.new" && mv -f "$stamp.new" "$stamp"
}
restart_if_changed containerd.service ${START_INPUTS["containerd.service"].join(" ")}
kubelet_was=$(cat ${STARTED_STAMP_DIR}/kubelet.release 2>/dev/null || true)
restart_if_changed kubelet.service ${START_INPUTS["kubelet.service"].join(" ")}
wait_until ${opts.kubeletTimeoutSeconds ?? 120} "the kubelet's http://[::1]:${opts.kubeletHealthzPort}/healthz" "show_unit kubelet" http_ok http://[::1]:${opts.kubeletHealthzPort}/healthz
${renderKubeletSettle(opts.settleSeconds ?? 15)}${controlPlaneWait}${retireEtcdData}
`;
}

/**
 * After the kubelet changed release: a new kubelet restarts every container whose spec it hashes
 * differently, in its first syncs, seconds after it answers /healthz (the cluster lab saw an
 * upgraded control-plane node's apiserver go down 3-5 s after its start step ended). Until those
 * restarts are over the node is not done: its etcd member may be down while the next node's
 * kubelet restarts another one. So: wait until no container of the node started or stopped for
 * `settleSeconds` (containerd's running tasks). The kubelet's release is kept beside the start
 * stamps; a first start (none recorded) does not wait.
 */
function renderKubeletSettle(settleSeconds: number): string {
    return `kubelet_now=$(/usr/local/bin/kubelet --version 2>/dev/null || true)
mkdir -p ${STARTED_STAMP_DIR}
printf '%s\n' "$kubelet_now" > ${STARTED_STAMP_DIR}/kubelet.release
if [ -n "$kubelet_was" ] && [ "$kubelet_was" != "$kubelet_now" ]; then
    running_tasks() { ctr --namespace k8s.io tasks ls 2>/dev/null | awk '$3 == "RUNNING" {print $1}' | sort | tr '\n' ' '; }
    settle_last=$(running_tasks) settle_since=$SECONDS
    tasks_settled() {
        local now
        now=$(running_tasks)
        if [ "$now" != "$settle_last" ]; then settle_last=$now; settle_since=$SECONDS; return 1; fi
        [ $((SECONDS - settle_since)) -ge ${settleSeconds} ]
    }
    wait_until 300 "the containers under kubelet \${kubelet_now#Kubernetes } (none started or stopped for ${settleSeconds}s: it restarts what it hashes differently)" "show_pods etcd kube-apiserver" tasks_settled
fi
`;
}

/** Where a former control-plane node's etcd data goes: `<dir>.retired-<UTC time>`, kept, never deleted. */
export const RETIRED_ETCD_DATA_PREFIX = `${ETCD_DATA_DIR}.retired-`;

/**
 * On a node that is not a control-plane node: etcd data left from a control-plane role it lost.
 * Its member is removed from etcd (the `k8s-<node>-etcd-member` delete, membership.ts), so the data
 * must not outlive the role: were the node made a control-plane node again, etcd would start as
 * the removed member and never join. Once no etcd static pod is left (its manifest gone, which is
 * the file cleanup's part, and its container stopped) the data moves aside, kept for inspection.
 */
function renderRetireEtcdData(): string {
    return `
if [ -d ${ETCD_DATA_DIR}/member ]; then
    if [ -e ${ETCD_MANIFEST_PATH} ]; then
        echo "etcd data of an earlier control-plane role stays in ${ETCD_DATA_DIR} while ${ETCD_MANIFEST_PATH} is there"
    else
        ${RUNNING_CONTAINER_FUNCTIONS.split("\n").join("\n        ")}
        etcd_stopped() { ctr --namespace k8s.io tasks ls >/dev/null && ! etcd_container >/dev/null; }
        wait_until 120 "the etcd container of an earlier control-plane role to stop" "show_pods etcd" etcd_stopped
        retired=${RETIRED_ETCD_DATA_PREFIX}$(date -u +%Y%m%dT%H%M%SZ)
        # member/ is etcd's state; the directory itself may be a mount point.
        mkdir -p "$retired"
        mv ${ETCD_DATA_DIR}/member "$retired/"
        rm -f ${ETCD_JOINED_MARKER}
        echo "this node is no longer a control-plane node: moved its etcd data aside to $retired"
    fi
fi`;
}

export interface WaitControlPlaneOptions {
    readonly proxyPort: number;
    /** Seconds to wait for /readyz; default 900. */
    readonly timeoutSeconds?: number;
    /** Seconds between progress lines; default DEFAULT_PROGRESS_SECONDS. */
    readonly progressSeconds?: number;
    /** Control-plane nodes to label (and taint or untaint) once the apiservers serve; default none. */
    readonly controlPlaneNodes?: readonly ControlPlaneNodeRole[];
    /** Seconds to wait for each of their Node objects; default 300. */
    readonly registerTimeoutSeconds?: number;
    /**
     * Also wait until every etcd member is started and healthy (asked through the local etcd
     * container: the step must run on a control-plane node); default false.
     */
    readonly etcdMembers?: boolean;
    /** Seconds to wait for them; default 300. */
    readonly etcdTimeoutSeconds?: number;
    /**
     * Also wait for this node's own apiserver on this port: the Pulumi runner's Kubernetes provider
     * talks to it alone (the first control-plane node's), and it may still be in the kubelet's
     * crash-loop back-off from before etcd had a quorum while the others already serve through
     * the proxy; default: not asked.
     */
    readonly localApiserverPort?: number;
}

/**
 * Every etcd member started and healthy, or the run fails here with the member list and their
 * health: a member that never started or crash-loops (a host that lost its data and could not
 * rejoin, a member added by hand) must not leave `pulumi up` green with etcd a member short.
 * Learners are not members that vote and are not waited for.
 */
function renderEtcdMembersHealthy(timeout: number): string {
    return `
${etcdctlInPodFunctions()}
etcd_members_healthy() {
    etcd_id=$(etcd_container) || { last_members="no running etcd container on $(hostname)"; return 1; }
    last_members=$(etcdctl member list -w simple 2>&1) || return 1
    last_health=$(etcdctl endpoint health --cluster -w simple 2>&1) || return 1
    ! grep -Eq '^[0-9a-f]+, unstarted, .*, false$' <<<"$last_members"
}
show_etcd_members() { printf '%s\n' "--- etcd member list" "$last_members" "--- etcd endpoint health --cluster" "$last_health"; }
last_members="" last_health=""
wait_until ${timeout} "every etcd member started and healthy" show_etcd_members etcd_members_healthy
`;
}

/**
 * The cluster-wide step: every control-plane apiserver answers /readyz through the node-local
 * proxy; with etcdMembers, every etcd member is started and healthy; then the control-plane nodes
 * get their role label and taint (controlplane/render/nodeRoles.ts).
 */
export function renderWaitControlPlane(opts: WaitControlPlaneOptions): string {
    const timeout = opts.timeoutSeconds ?? 900;
    const url = `https://[::1]:${opts.proxyPort}/readyz`;
    const roles = renderControlPlaneNodeRoles(opts.controlPlaneNodes ?? [], {
        proxyPort: opts.proxyPort,
        registerTimeoutSeconds: opts.registerTimeoutSeconds,
    });
    return `#!/bin/bash
# Rendered by v6k8s. Waits until the apiservers serve through the node-local proxy${roles ? "; labels and taints the control-plane nodes" : ""}.
set -euo pipefail
${renderWaitFunctions(opts.progressSeconds)}
wait_until ${timeout} "an apiserver through [::1]:${opts.proxyPort} (${url})" "show_pods apiserver-proxy kube-apiserver etcd" http_ok ${url}
${
    opts.localApiserverPort === undefined
        ? ""
        : `wait_until ${timeout} "this node's own apiserver (https://[::1]:${opts.localApiserverPort}/readyz), the one the Pulumi runner's provider uses" "show_pods kube-apiserver etcd" http_ok https://[::1]:${opts.localApiserverPort}/readyz
`
}${opts.etcdMembers ? renderEtcdMembersHealthy(opts.etcdTimeoutSeconds ?? 300) : ""}${roles}`;
}
