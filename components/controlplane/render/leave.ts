// What a node leaving the cluster does to itself: the delete of `k8s-<node>-leave`, on the node's
// own connection, the last of its removal (membership.ts: after its drain and its etcd member's
// removal, while it is still in the mesh). Kubernetes stops on it and nothing of the cluster's
// secrets stays: the static pods go with their manifests, the kubelet and containerd are stopped
// and disabled, every container of the kubelet's is killed, the pods' volumes unmounted, and every
// file under /etc/kubernetes and /var/lib/kubelet (keys, certificates, kubeconfigs, manifests, the
// encryption config) and the etcd data are deleted, with the Kubernetes steps' owned lists, so a
// node that comes back later starts clean. Directories stay (a mount point cannot go). The
// binaries stay installed; the node's network and mesh stay until it is removed from `nodes`.
import { ETCD_DATA_DIR, K8S_DIR, KUBELET_DIR, MANIFEST_DIR } from "../paths";
import { OWNED_DIR, OWNERS } from "../../hosts/render/owned";
import { CONTAINERD_UNIT_PATH } from "./containerd";
import { KUBELET_UNIT_PATH } from "./kubelet";

const unit = (p: string) => p.slice(p.lastIndexOf("/") + 1);

export function renderLeaveNode(name: string): string {
    return `#!/bin/bash
# Rendered by v6k8s. Node ${name} leaves the cluster: Kubernetes stops here and its keys,
# certificates, kubeconfigs and manifests are deleted (it was drained, its etcd member removed).
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/local/bin"
echo "node ${name}: leaving: stopping Kubernetes and deleting its keys, certificates, kubeconfigs and manifests"
# The static pods first: the kubelet stops what it no longer finds in its manifest directory.
find ${MANIFEST_DIR} -mindepth 1 -maxdepth 1 -type f -delete 2>/dev/null || true
systemctl disable --now ${unit(KUBELET_UNIT_PATH)} 2>/dev/null || true
if command -v ctr >/dev/null && [ -S /run/containerd/containerd.sock ]; then
    for _ in $(seq 30); do
        running=$(ctr --namespace k8s.io tasks ls -q 2>/dev/null || true)
        [ -z "$running" ] && break
        for t in $running; do ctr --namespace k8s.io tasks kill --signal SIGKILL "$t" >/dev/null 2>&1 || true; done
        sleep 1
    done
    [ -z "$(ctr --namespace k8s.io tasks ls -q 2>/dev/null || true)" ] || { echo "node ${name}: containers still run after 30 s" >&2; exit 1; }
fi
systemctl disable --now ${unit(CONTAINERD_UNIT_PATH)} 2>/dev/null || true
# The pods' volumes (Secrets and tokens live on tmpfs there), deepest first; what cannot be
# unmounted has its files deleted below all the same.
findmnt -rn -o TARGET | grep "^${KUBELET_DIR}/pods/" | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
for d in ${K8S_DIR} ${KUBELET_DIR} ${ETCD_DATA_DIR}; do
    [ -d "$d" ] || continue
    find "$d" -mindepth 1 \\( -type f -o -type l -o -type s \\) -delete
    find "$d" -mindepth 1 -depth -type d -empty -delete 2>/dev/null || true
done
rm -f ${OWNED_DIR}/${OWNERS.kubernetesPki}.list ${OWNED_DIR}/${OWNERS.kubernetesFiles}.list
systemctl daemon-reload 2>/dev/null || true
echo "node ${name}: left the cluster"
`;
}
