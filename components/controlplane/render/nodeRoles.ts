// Node roles as Kubernetes sees them: control-plane nodes carry the node-role.kubernetes.io/control-plane
// label (what `kubectl get nodes` shows, what selectors use) and, unless they also take workloads,
// its NoSchedule taint, so pods other than the ones that tolerate it (kube-proxy, CoreDNS) stay
// away from etcd and the apiserver.
//
// Who sets what:
// - The taint: the kubelet itself, at registration (`registerWithTaints` in its configuration), so
//   a control-plane node is never schedulable, not even for the seconds before anything else runs.
// - The label, and the taint on a node that registered before (a changed role or
//   cluster.scheduleOnControlPlane): an admin-credentialed step, the cluster-wide wait. The kubelet
//   cannot: the NodeRestriction admission plugin refuses kubelets labels under node-role.kubernetes.io/
//   (and any change to their taints), so `--node-labels` would keep the kubelet from registering at
//   all. The Kubernetes provider could patch the Node (NodePatch, server-side apply) but would fail,
//   or create a bare Node, if it ran before the kubelet registered, and the taint list is owned by
//   the kubelet's field manager; `kubectl label`/`taint` on the first control-plane node, after it
//   waited for each Node object, converges both on every run.
import { PATHS } from "../paths";
import { LOOPBACK, httpsUrl } from "../../common/net";

export const CONTROL_PLANE_ROLE_LABEL = "node-role.kubernetes.io/control-plane";
/** The taint kubeadm also uses; CoreDNS tolerates it, kube-proxy tolerates every taint. */
export const CONTROL_PLANE_TAINT = { key: CONTROL_PLANE_ROLE_LABEL, effect: "NoSchedule" } as const;

/**
 * Whether a node carries the control-plane taint: a control-plane node, unless it also has the
 * worker role (roles [control-plane, worker] means "runs workloads too") or
 * cluster.scheduleOnControlPlane is set.
 */
export function controlPlaneTainted(roles: readonly string[], scheduleOnControlPlane: boolean): boolean {
    return roles.includes("control-plane") && !roles.includes("worker") && !scheduleOnControlPlane;
}

/** A control-plane node as the role step labels it. */
export interface ControlPlaneNodeRole {
    readonly name: string;
    /** Carries the control-plane taint (else any such taint is removed). */
    readonly tainted: boolean;
}

export interface NodeRolesOptions {
    /** The node-local apiserver proxy on [::1]. */
    readonly proxyPort: number;
    /** Seconds to wait for each Node object to be registered; default 300. */
    readonly registerTimeoutSeconds?: number;
}

/**
 * `k ARGS...`: kubectl through the node-local apiserver proxy with the apiserver's kubelet client
 * certificate (system:masters, on control-plane nodes only), so no further admin key is put on a host.
 */
export function adminKubectlFunction(proxyPort: number): string {
    return (
        `k() { kubectl --request-timeout=10s --server=${httpsUrl(LOOPBACK, proxyPort, "apiserverProxyPort")} --certificate-authority=${PATHS.clusterCa.cert} ` +
        `--client-certificate=${PATHS.apiserverKubeletClient.cert} --client-key=${PATHS.apiserverKubeletClient.key} "$@"; }`
    );
}

/** A shell line (with `k`) that removes the control-plane taint from Node `name` if it has it (removing an absent taint is an error). */
export function removeControlPlaneTaintLine(name: string): string {
    const taint = `${CONTROL_PLANE_TAINT.key}:${CONTROL_PLANE_TAINT.effect}`;
    return `if k get node ${name} -o jsonpath='{.spec.taints[?(@.key=="${CONTROL_PLANE_TAINT.key}")].effect}' | grep -qx ${CONTROL_PLANE_TAINT.effect}; then k taint node ${name} ${taint}-; fi`;
}

/**
 * Shell lines, for a control-plane host, that wait for each control-plane Node object, label it
 * and set or remove its taint. The credential is the apiserver's kubelet client certificate
 * (system:masters, on control-plane nodes only): no further admin key is put on a host.
 */
export function renderControlPlaneNodeRoles(nodes: readonly ControlPlaneNodeRole[], opts: NodeRolesOptions): string {
    if (nodes.length === 0) return "";
    const timeout = opts.registerTimeoutSeconds ?? 300;
    const taint = `${CONTROL_PLANE_TAINT.key}:${CONTROL_PLANE_TAINT.effect}`;
    const lines = [
        `# Control-plane nodes: the ${CONTROL_PLANE_ROLE_LABEL} label and, unless they take workloads, its ${CONTROL_PLANE_TAINT.effect} taint.`,
        adminKubectlFunction(opts.proxyPort),
    ];
    for (const n of nodes) {
        lines.push(
            `for _ in $(seq ${timeout}); do k get node ${n.name} >/dev/null 2>&1 && break; sleep 1; done`,
            `k get node ${n.name} >/dev/null || { echo "node ${n.name} did not register within ${timeout}s" >&2; exit 1; }`,
            `k label node ${n.name} ${CONTROL_PLANE_ROLE_LABEL}= --overwrite`,
            n.tainted ? `k taint node ${n.name} ${taint} --overwrite` : removeControlPlaneTaintLine(n.name),
        );
    }
    return `${lines.join("\n")}\n`;
}
