// Removing a node from the cluster when `pulumi up` no longer declares it: drain it, delete its
// Node object. Pure: the program sends this as the delete of `k8s-<node>-membership`
// (membership.ts); the lab and the tests run it as it is.
//
// Where it runs: on a control-plane node that stays (membershipAnchor), never on the node itself.
// - Workers hold no admin credential, and no credential a node could be given would do: a kubelet's
//   (system:node:<name>) may evict only its own pods, and drain must also read the DaemonSets that
//   own pods, which no node identity may; a narrower admin certificate per node cannot be narrowed
//   by RBAC to "its own Node and pods" either.
// - The node itself is cut off by then: pulumi runs the deletes of removed resources last, after
//   every other host's mesh dropped the node's WireGuard peer, so its kubelet no longer reaches an
//   apiserver (and a dead machine, the common reason to remove one, answers nothing at all).
// A control-plane node has the apiserver's kubelet client certificate (system:masters) and the
// node-local apiserver proxy, the credential the cluster-wide wait already uses (nodeRoles.ts).
import { adminKubectlFunction } from "./nodeRoles";

/** A node as membershipAnchor sees it (config order). */
export interface MembershipNode {
    readonly name: string;
    readonly controlPlane: boolean;
    /** joinEtcd: its etcd may not run yet. */
    readonly joining: boolean;
}

/**
 * The control-plane node whose connection `node`'s membership commands use: the first (config
 * order) control-plane node other than `node` that is not joining, else any other control-plane
 * node; `node` itself only when it is the only one (its removal is then refused anyway). Stable:
 * adding nodes after it in the config, or any worker, does not change it.
 */
export function membershipAnchor(node: string, nodes: readonly MembershipNode[]): string {
    if (!nodes.some((n) => n.name === node)) throw new RangeError(`membership: no node ${node}`);
    const others = nodes.filter((n) => n.controlPlane && n.name !== node);
    const anchor = others.find((n) => !n.joining) ?? others[0];
    if (anchor) return anchor.name;
    if (nodes.find((n) => n.name === node)!.controlPlane) return node;
    throw new RangeError(`membership: no control-plane node to remove ${node} from`);
}

export interface RemoveNodeOptions {
    /** The node-local apiserver proxy on [::1]. */
    readonly proxyPort: number;
    /** Seconds `kubectl drain` may take (PodDisruptionBudgets make it retry evictions); default 600. */
    readonly drainTimeoutSeconds?: number;
    /** Seconds past a pod's deletion time (eviction + grace period) it is waited for; default 30. */
    readonly skipWaitSeconds?: number;
}

/**
 * Drains `name` (cordon, evict every pod but DaemonSet and static ones, respecting
 * PodDisruptionBudgets), then deletes its Node object. A node whose kubelet is gone (cut off or
 * dead) never reports its evicted pods terminated: they are not waited for longer than
 * `skipWaitSeconds` past their grace period (their controllers start replacements at eviction),
 * and deleting the Node lets the pod garbage collector remove them. Pods without a controller are
 * deleted too (`--force`; kubectl prints them): the node is going, and such a pod cannot run
 * anywhere else, so refusing would only block the run (the cluster lab's check 8 hit exactly this
 * with a bare toolbox pod). A PodDisruptionBudget that does not allow an eviction within the
 * timeout fails the drain, and the removal with it (the server stays). No Node: success.
 */
export function renderRemoveNode(name: string, runsOn: string, opts: RemoveNodeOptions): string {
    const timeout = opts.drainTimeoutSeconds ?? 600;
    const skip = opts.skipWaitSeconds ?? 30;
    return `#!/bin/bash
# Rendered by v6k8s. Removes node ${name} from the cluster (pulumi up no longer declares it): drains
# it, then deletes its Node object. Runs on ${runsOn}, a control-plane node that stays, with its
# apiserver kubelet client certificate.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/local/bin"
name=${name}
${adminKubectlFunction(opts.proxyPort)}
here=$(hostname)
echo "node $name: removing it from the cluster, from $here"
found=$(k get node "$name" --ignore-not-found -o name 2>&1) || { echo "node $name: cannot reach the apiserver from $here: $found" >&2; exit 1; }
if [ -z "$found" ]; then
    echo "node $name: no Node object (already removed): nothing to do"
    exit 0
fi
ready=$(k get node "$name" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')
echo "node $name: Ready=\${ready:-unknown}; draining (at most ${timeout}s; evicted pods are waited for at most ${skip}s past their grace period)"
if ! k drain "$name" --ignore-daemonsets --delete-emptydir-data --force --timeout=${timeout}s --skip-wait-for-delete-timeout=${skip}; then
    echo "node $name: drain failed (see above): the node stays cordoned and is not deleted, nor is its server." >&2
    echo "  A PodDisruptionBudget that does not allow an eviction blocks it: resolve that, then run pulumi up again." >&2
    exit 1
fi
k delete node "$name" --ignore-not-found
echo "node $name: drained and deleted"
`;
}

/** The delete text while cluster.teardown is set: the whole cluster goes, nothing is drained or removed. */
export function renderTeardownNotice(what: string): string {
    return `echo "v6k8s: cluster.teardown is set: ${what} is not removed from the cluster (it is being torn down)"\n`;
}
