// What a Kubernetes release is to this project: its minor, and which etcd and pause go with it.
// The config checks a kubernetesVersion against this table and the renderers pick images from it,
// so it lives below both.

/**
 * etcd and pause per Kubernetes minor, as kubeadm pins them (cmd/kubeadm/app/constants). 1.33 stays
 * on the last 3.5: etcd supports 3.5 -> 3.6 only from 3.5.20 on, and control planes move one minor
 * at a time, so every 1.34 upgrade starts from 3.5.24.
 */
export const COMPONENT_VERSIONS: Readonly<Record<number, { readonly etcd: string; readonly pause: string }>> = {
    31: { etcd: "3.5.24-0", pause: "3.10" },
    32: { etcd: "3.5.24-0", pause: "3.10" },
    33: { etcd: "3.5.24-0", pause: "3.10" },
    34: { etcd: "3.6.8-0", pause: "3.10.1" },
    35: { etcd: "3.6.8-0", pause: "3.10.1" },
    36: { etcd: "3.6.8-0", pause: "3.10.2" },
};

/**
 * Why `etcdVersion` cannot go with Kubernetes `kubernetesVersion`, or undefined: an override must
 * stay on the etcd minor kubeadm pins for that Kubernetes minor, at that patch or a newer one (an
 * older 3.5 could miss the 3.5.20 that etcd's way to 3.6 needs).
 */
export function etcdVersionProblem(kubernetesVersion: string, etcdVersion: string): string | undefined {
    const pinned = COMPONENT_VERSIONS[kubernetesMinor(kubernetesVersion)]?.etcd.replace(/-\d+$/, "");
    if (!pinned) return undefined;
    const minorOf = (v: string) => v.split(".").slice(0, 2).join(".");
    if (minorOf(etcdVersion) !== minorOf(pinned))
        return `${etcdVersion} is not an etcd ${minorOf(pinned)} release, the etcd minor of Kubernetes ${kubernetesVersion} (kubeadm's: ${pinned}); only the patch may differ`;
    const patchOf = (v: string) => Number(v.split(".")[2]);
    if (patchOf(etcdVersion) < patchOf(pinned))
        return `${etcdVersion} is older than kubeadm's ${pinned} for Kubernetes ${kubernetesVersion}`;
    return undefined;
}

/** Minor of a "1.34.2"-style release; RangeError otherwise. */
export function kubernetesMinor(version: string): number {
    const m = /^1\.(\d+)\.(\d+)$/.exec(version);
    if (!m) throw new RangeError(`kubernetesVersion: "${version}" is not a release like "1.34.2" (no v)`);
    return Number(m[1]);
}
