// What a node's kubelet keeps for the system and itself, when it evicts, and how long it gives pods
// when the host shuts down: cluster.kubelet for every node, nodes[i].kubelet over it per key (a node
// pool is the nodes sharing one block, e.g. through a YAML anchor). The defaults suit a 2-core 4 GB
// hcloud server and leave almost all of a 64-core Robot server to pods; raise them per node.
import { z } from "zod";

/** A Kubernetes quantity (apimachinery's resource.Quantity grammar): 100m, 1, 256Mi, 1.5G. */
const quantity = z
    .string()
    .regex(/^[+]?(\d+(\.\d*)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+)?$/, "must be a quantity like 100m, 2 or 256Mi");
/** An eviction threshold: a quantity or a percentage of the resource. */
const threshold = z.union([quantity, z.string().regex(/^\d+(\.\d+)?%$/)], {
    error: "must be a quantity like 200Mi or a percentage like 10%",
});

export const reservedSchema = z.strictObject({
    cpu: quantity.optional(),
    memory: quantity.optional(),
    "ephemeral-storage": quantity.optional(),
    pid: z.string().regex(/^\d+$/, "must be a whole number of process IDs").optional(),
});

/** The kubelet's hard eviction signals (kubelet eviction docs; the Linux ones). */
export const EVICTION_SIGNALS = [
    "memory.available",
    "nodefs.available",
    "nodefs.inodesFree",
    "imagefs.available",
    "imagefs.inodesFree",
    "containerfs.available",
    "containerfs.inodesFree",
    "pid.available",
] as const;
export type EvictionSignal = (typeof EVICTION_SIGNALS)[number];

export const evictionSchema = z.strictObject(
    Object.fromEntries(EVICTION_SIGNALS.map((s) => [s, threshold.optional()])) as Record<EvictionSignal, z.ZodOptional<typeof threshold>>,
);

export const kubeletSchema = z.strictObject({
    /** Kept from pods for the OS and its daemons (sshd, journald, wireguard, the node's own scripts). */
    systemReserved: reservedSchema.optional(),
    /** Kept from pods for the kubelet and containerd. */
    kubeReserved: reservedSchema.optional(),
    /** Hard eviction thresholds; the whole map replaces the default one (unlisted signals are off). */
    evictionHard: evictionSchema.optional(),
    /** Graceful node shutdown: how long a host's shutdown waits for its pods (0: off). */
    shutdownGracePeriodSeconds: z.int().min(0).max(3600).optional(),
    /** Of that, the time kept for system-critical pods (last to stop); at most shutdownGracePeriodSeconds. */
    shutdownGracePeriodCriticalPodsSeconds: z.int().min(0).max(3600).optional(),
});

export type KubeletSettingsInput = z.infer<typeof kubeletSchema>;

export interface KubeletSettings {
    readonly systemReserved: Readonly<Record<string, string>>;
    readonly kubeReserved: Readonly<Record<string, string>>;
    readonly evictionHard: Readonly<Partial<Record<EvictionSignal, string>>>;
    readonly shutdownGracePeriodSeconds: number;
    readonly shutdownGracePeriodCriticalPodsSeconds: number;
}

/**
 * The defaults: about 0.2 CPU and 512 MiB kept back, memory evicted below 200 MiB (the kubelet's own
 * 100 MiB leaves a 4 GB server no room to recover), the kubelet's disk thresholds, and 30 s for pods
 * on shutdown (10 of them for critical ones: CoreDNS, the NAT64 gateways).
 */
export const DEFAULT_KUBELET: KubeletSettings = {
    systemReserved: { cpu: "100m", memory: "256Mi" },
    kubeReserved: { cpu: "100m", memory: "256Mi" },
    evictionHard: {
        "memory.available": "200Mi",
        "nodefs.available": "10%",
        "nodefs.inodesFree": "5%",
        "imagefs.available": "15%",
        "imagefs.inodesFree": "5%",
    },
    shutdownGracePeriodSeconds: 30,
    shutdownGracePeriodCriticalPodsSeconds: 10,
};

/** A node's settings: its own block over the cluster's over the defaults, key by key. */
export function kubeletSettingsOf(cluster: KubeletSettingsInput, node: KubeletSettingsInput | undefined): KubeletSettings {
    const pick = <K extends keyof KubeletSettings>(key: K): KubeletSettings[K] =>
        (node?.[key] ?? cluster[key] ?? DEFAULT_KUBELET[key]) as KubeletSettings[K];
    return {
        systemReserved: pick("systemReserved"),
        kubeReserved: pick("kubeReserved"),
        evictionHard: pick("evictionHard"),
        shutdownGracePeriodSeconds: pick("shutdownGracePeriodSeconds"),
        shutdownGracePeriodCriticalPodsSeconds: pick("shutdownGracePeriodCriticalPodsSeconds"),
    };
}

/** The kubelet refuses critical > total; said here with the key, before anything runs. */
export function kubeletSettingsProblem(s: KubeletSettings): string | undefined {
    return s.shutdownGracePeriodCriticalPodsSeconds > s.shutdownGracePeriodSeconds
        ? `shutdownGracePeriodCriticalPodsSeconds: ${s.shutdownGracePeriodCriticalPodsSeconds} exceeds shutdownGracePeriodSeconds ${s.shutdownGracePeriodSeconds}`
        : undefined;
}
