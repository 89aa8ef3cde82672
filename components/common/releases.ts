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

/** Minor of a "1.34.2"-style release; RangeError otherwise. */
export function kubernetesMinor(version: string): number {
    const m = /^1\.(\d+)\.(\d+)$/.exec(version);
    if (!m) throw new RangeError(`kubernetesVersion: "${version}" is not a release like "1.34.2" (no v)`);
    return Number(m[1]);
}
