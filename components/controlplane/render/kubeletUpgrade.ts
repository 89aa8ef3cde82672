// A kubelet taken to another release, as the version-skew policy asks: never before every
// apiserver serves that release (cluster.ts orders the steps so), and never in place: "in-place
// minor version kubelet upgrades are not supported", so the node is cordoned and drained first and
// uncordoned once its kubelet reports the release and is Ready. Two scripts around the node's own
// kubelet step, both on a control-plane node that stays (membershipAnchor: a node holds no
// credential that may drain, render/nodeRemoval.ts says why).
//
// Only a kubelet at another release is drained: a re-run, a new node (not registered yet) or a
// change that leaves the release alone drains nothing. The cordon is ours only when we set it: the
// annotation records it, so a node an operator cordoned stays cordoned.
import { adminKubectlFunction } from "./nodeRoles";
import { renderWaitFunctions } from "../../runtime/render/wait";

/** On a Node we cordoned for a kubelet change: the release it was drained for. */
export const CORDONED_FOR_KUBELET_ANNOTATION = "v6k8s.io/cordoned-for-kubelet";

export interface KubeletUpgradeOptions {
    /** The node-local apiserver proxy on [::1]. */
    readonly proxyPort: number;
    /** Seconds `kubectl drain` may take (PodDisruptionBudgets make it retry evictions); default 600. */
    readonly drainTimeoutSeconds?: number;
    /** Seconds the node may take to report the release and Ready; default 300. */
    readonly readyTimeoutSeconds?: number;
    /** Seconds to wait for a leading controller-manager and scheduler before draining; default 120. */
    readonly leaderTimeoutSeconds?: number;
}

const jsonPathKey = (key: string) => key.replace(/\./g, "\\.");

function preamble(name: string, kubernetesVersion: string, runsOn: string, proxyPort: number, what: string): string {
    return `#!/bin/bash
# Rendered by v6k8s. ${what} node ${name} for kubelet v${kubernetesVersion}. Runs on ${runsOn}, a
# control-plane node, with its apiserver kubelet client certificate.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/local/bin"
name=${name} target=v${kubernetesVersion}
${adminKubectlFunction(proxyPort)}
`;
}

/**
 * Before the kubelet changes release: cordon (recording that we did) and drain, respecting
 * PodDisruptionBudgets. Pods without a controller are not deleted: a drain that meets one fails,
 * naming it, and the node stays cordoned (kubectl's own refusal). First it waits until a
 * controller-manager and a scheduler lead (their leases renewed after the step began): the
 * previous node's new kubelet may just have restarted the leaders, and while no controller runs an
 * evicted pod stays among its Service's endpoints and gets no replacement (the cluster lab's check
 * 1a lost its workload for 14.5 s that way).
 */
export function renderDrainForKubelet(name: string, kubernetesVersion: string, runsOn: string, opts: KubeletUpgradeOptions): string {
    const timeout = opts.drainTimeoutSeconds ?? 600;
    const key = CORDONED_FOR_KUBELET_ANNOTATION;
    return `${preamble(name, kubernetesVersion, runsOn, opts.proxyPort, "Drains")}found=$(k get node "$name" --ignore-not-found -o jsonpath='{.status.nodeInfo.kubeletVersion}' 2>&1) || { echo "node $name: cannot reach the apiserver from $(hostname): $found" >&2; exit 1; }
if [ -z "$found" ]; then
    echo "node $name: not registered yet: nothing to drain"
    exit 0
fi
if [ "$found" = "$target" ]; then
    echo "node $name: kubelet already at $target: not drained"
    exit 0
fi
${renderWaitFunctions()}
began=$(date +%s)
renewed_since_began() {
    local t
    t=$(k -n kube-system get lease "$1" -o jsonpath='{.spec.renewTime}' 2>/dev/null) && [ -n "$t" ] && [ "$(date -d "$t" +%s)" -ge "$began" ]
}
controllers_lead() { renewed_since_began kube-controller-manager && renewed_since_began kube-scheduler; }
show_leases() { k -n kube-system get lease kube-controller-manager kube-scheduler -o wide; }
wait_until ${opts.leaderTimeoutSeconds ?? 120} "a leading controller-manager and scheduler (leases renewed from now on)" show_leases controllers_lead
if [ "$(k get node "$name" -o jsonpath='{.spec.unschedulable}')" != true ]; then
    k annotate node "$name" ${key}="$target" --overwrite >/dev/null
    k cordon "$name"
elif [ -z "$(k get node "$name" -o jsonpath='{.metadata.annotations.${jsonPathKey(key)}}')" ]; then
    echo "node $name: cordoned by someone else: it stays cordoned after its kubelet changes"
fi
echo "node $name: kubelet $found -> $target: draining (at most ${timeout}s)"
if ! k drain "$name" --ignore-daemonsets --delete-emptydir-data --timeout=${timeout}s; then
    echo "node $name: drain failed (see above): the node stays cordoned and its kubelet unchanged." >&2
    echo "  A PodDisruptionBudget that allows no eviction, or a pod without a controller, blocks it: resolve that, then run pulumi up again." >&2
    exit 1
fi
echo "node $name: drained"
`;
}

/**
 * After the kubelet step: once the node reports the release and is Ready, uncordon it if the
 * drain cordoned it (the annotation); otherwise nothing.
 */
export function renderUncordonAfterKubelet(name: string, kubernetesVersion: string, runsOn: string, opts: KubeletUpgradeOptions): string {
    const timeout = opts.readyTimeoutSeconds ?? 300;
    const key = CORDONED_FOR_KUBELET_ANNOTATION;
    return `${preamble(name, kubernetesVersion, runsOn, opts.proxyPort, "Uncordons")}${renderWaitFunctions()}
ours=$(k get node "$name" --ignore-not-found -o jsonpath='{.metadata.annotations.${jsonPathKey(key)}}')
if [ -z "$ours" ]; then
    echo "node $name: not cordoned for a kubelet change: nothing to do"
    exit 0
fi
at_target_and_ready() {
    [ "$(k get node "$name" -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = "$target True" ]
}
show_node() { k get node "$name" -o wide; }
wait_until ${timeout} "node $name's kubelet at $target and Ready" show_node at_target_and_ready
k uncordon "$name"
k annotate node "$name" ${key}- >/dev/null
echo "node $name: kubelet at $target, Ready, uncordoned"
`;
}
