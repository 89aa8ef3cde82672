// Scripts that (re)start the node's Kubernetes services and wait until they serve. Control-plane
// nodes are upgraded one at a time: each waits for its own apiserver before the next one starts.
import { ControlPlaneNodeRole, renderControlPlaneNodeRoles } from "../../controlplane/render/nodeRoles";

export const SKEW_CHECK_PATH = "/usr/local/lib/v6k8s/skew-check.sh";
export const START_KUBELET_PATH = "/usr/local/lib/v6k8s/start-kubelet.sh";
export const WAIT_CONTROL_PLANE_PATH = "/usr/local/lib/v6k8s/wait-control-plane.sh";

/** Minor of "1.34.2". */
export function minorOf(version: string): number {
    const m = /^1\.(\d+)\.\d+$/.exec(version);
    if (!m) throw new RangeError(`"${version}" is not a Kubernetes release`);
    return Number(m[1]);
}

/**
 * Refuses a kubelet version that skips a minor or goes back more than one (the version-skew
 * policy); runs before anything on the host changes.
 */
export function renderSkewCheck(target: string): string {
    const minor = minorOf(target);
    return `#!/bin/bash
# Rendered by v6k8s. Version-skew preflight for Kubernetes ${target}.
set -euo pipefail
current=$(/usr/local/bin/kubelet --version 2>/dev/null | sed -n 's/^Kubernetes v1\\.\\([0-9]*\\)\\..*/\\1/p' || true)
if [ -n "$current" ]; then
    if [ ${minor} -gt $((current + 1)) ]; then
        echo "refusing to go from 1.$current to ${target}: upgrade one minor version at a time" >&2
        exit 1
    fi
    if [ ${minor} -lt $((current - 1)) ]; then
        echo "refusing to go from 1.$current back to ${target}: more than one minor" >&2
        exit 1
    fi
fi
`;
}

export interface StartOptions {
    readonly controlPlane: boolean;
    readonly apiserverPort: number;
    /** Seconds to wait for the local apiserver after an upgrade; default 600. */
    readonly timeoutSeconds?: number;
}

/** Shell lines that poll `url` once a second until it answers, failing with `what` after `seconds`. */
function waitFor(url: string, seconds: number, what: string, indent = ""): string {
    return [
        `for _ in $(seq ${seconds}); do`,
        `    curl -fsk --max-time 2 ${url} >/dev/null 2>&1 && break`,
        "    sleep 1",
        "done",
        `curl -fsk --max-time 2 ${url} >/dev/null 2>&1 || { echo "${what} within ${seconds}s" >&2; exit 1; }`,
    ].map((l) => indent + l).join("\n");
}

/**
 * Starts or restarts containerd and the kubelet. On a control-plane node that already held etcd
 * data (an upgrade, not the first bootstrap) it waits for the local apiserver's /readyz, so the
 * next node only starts once this one serves. At first bootstrap no single node can be ready
 * before a quorum exists, so there it does not wait (the cluster-wide step does).
 */
export function renderStartKubelet(opts: StartOptions): string {
    const timeout = opts.timeoutSeconds ?? 600;
    const wait = opts.controlPlane
        ? `
if [ "$upgrade" = yes ]; then
${waitFor(`https://[::1]:${opts.apiserverPort}/readyz`, timeout, "the local apiserver did not become ready", "    ")}
fi`
        : "";
    return `#!/bin/bash
# Rendered by v6k8s. (Re)starts containerd and the kubelet${opts.controlPlane ? "; after an upgrade, waits for the local apiserver" : ""}.
set -euo pipefail
upgrade=no
[ -d /var/lib/etcd/member ] && upgrade=yes
# The kubelet refuses to run with swap on (Robot's installimage creates swap): off now and at boot.
swapoff -a
sed -i -E '/^[^#].*[[:space:]]swap[[:space:]]/s/^/# disabled by v6k8s: /' /etc/fstab
systemctl daemon-reload
systemctl enable containerd.service kubelet.service
systemctl restart containerd.service
systemctl restart kubelet.service
${waitFor("http://[::1]:10248/healthz", 120, "the kubelet did not become healthy")}${wait}
`;
}

export interface WaitControlPlaneOptions {
    readonly proxyPort: number;
    /** Seconds to wait for /readyz; default 900. */
    readonly timeoutSeconds?: number;
    /** Control-plane nodes to label (and taint or untaint) once the apiservers serve; default none. */
    readonly controlPlaneNodes?: readonly ControlPlaneNodeRole[];
    /** Seconds to wait for each of their Node objects; default 300. */
    readonly registerTimeoutSeconds?: number;
}

/**
 * The cluster-wide step: every control-plane apiserver answers /readyz through the node-local
 * proxy; then the control-plane nodes get their role label and taint (controlplane/render/nodeRoles.ts).
 */
export function renderWaitControlPlane(opts: WaitControlPlaneOptions): string {
    const timeout = opts.timeoutSeconds ?? 900;
    const roles = renderControlPlaneNodeRoles(opts.controlPlaneNodes ?? [], {
        proxyPort: opts.proxyPort, registerTimeoutSeconds: opts.registerTimeoutSeconds,
    });
    return `#!/bin/bash
# Rendered by v6k8s. Waits until the apiservers serve through the node-local proxy${roles ? "; labels and taints the control-plane nodes" : ""}.
set -euo pipefail
${waitFor(`https://[::1]:${opts.proxyPort}/readyz`, timeout, `no apiserver became ready through [::1]:${opts.proxyPort}`)}
${roles}`;
}
