// Raw stack config (the project's keys, namespace stripped) -> validated StackConfig, or a
// ConfigError listing every problem. Runs before any resource is declared.
import { ConfigError, KeyPath, fromZod, problem, unknownKey } from "./errors";
import { etcdVersionProblem } from "../common/releases";
import { Positioned, clusterRules, clusterShapeRules, dnsRules, nodeRules, serviceRules, zoneRules } from "./rules";
import {
    CLUSTER_KEYS,
    NODE_KEYS,
    SERVICE_KEYS,
    clusterSchema,
    corednsSchema,
    dnsSchema,
    etcdBackupS3Schema,
    etcdBackupSchema,
    etcdRestoreSchema,
    kubeProxySchema,
    nodeSchema,
    pkiSchema,
    portSchema,
    releaseBasesSchema,
    servicePortSchema,
    serviceSchema,
    workloadSchema,
} from "./schema";
import type { ClusterConfig, NodeConfig, ServiceConfig, StackConfig } from "./types";
import { defaultDnsAddress } from "../network/plan";
import { formatV6 } from "../network/prefix";
import { hostKeyHint } from "./hostKey";
import { parseEncryptionKeys } from "./encryptionKey";
import { evictionSchema, kubeletSchema, kubeletSettingsOf, kubeletSettingsProblem, reservedSchema } from "./kubeletSettings";

/** Keys read with `requireSecret`; set them with `pulumi config set --secret`. */
export const SECRET_KEYS = ["sshPrivateKey", "hcloudToken", "encryptionKey", "etcdBackupS3AccessKey", "etcdBackupS3SecretKey"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];
export const TOP_LEVEL_KEYS: readonly string[] = ["cluster", "nodes", "services", ...SECRET_KEYS];

const keysOf = (schema: { shape: object }) => Object.keys(schema.shape);
/** Keys of the nested map an unknown key sits in (`coredns`, `ports[1]`, ...), else the top map's. */
function nestedKeys(path: KeyPath, top: readonly string[], nested: Readonly<Record<string, readonly string[]>>): readonly string[] {
    const parent = [...path].reverse().find((p) => typeof p === "string" && p in nested);
    return parent === undefined ? top : nested[parent as string];
}
const KUBELET_NESTED = {
    kubelet: keysOf(kubeletSchema),
    systemReserved: keysOf(reservedSchema),
    kubeReserved: keysOf(reservedSchema),
    evictionHard: keysOf(evictionSchema),
};
const CLUSTER_NESTED = {
    pki: keysOf(pkiSchema),
    coredns: keysOf(corednsSchema),
    releaseBases: keysOf(releaseBasesSchema),
    kubeProxy: keysOf(kubeProxySchema),
    dns: keysOf(dnsSchema),
    etcdRestore: keysOf(etcdRestoreSchema),
    etcdBackup: keysOf(etcdBackupSchema),
    s3: keysOf(etcdBackupS3Schema),
    ...KUBELET_NESTED,
};
const NODE_NESTED = { ipv4Ports: keysOf(portSchema), ...KUBELET_NESTED };
const SERVICE_NESTED = { ports: keysOf(servicePortSchema), workload: keysOf(workloadSchema) };

/** Offset of a dedicated server's main address in its /64 on Hetzner Robot (`<prefix>::2`). */
export const ROBOT_MAIN_ADDRESS_OFFSET = 2;

function parseCluster(raw: unknown, problems: string[]): ClusterConfig | undefined {
    if (raw === undefined) {
        problems.push(problem(["cluster"], "is required"));
        return undefined;
    }
    const result = clusterSchema.safeParse(raw);
    if (!result.success) {
        problems.push(...fromZod(["cluster"], result.error.issues, raw, (p) => nestedKeys(p, CLUSTER_KEYS, CLUSTER_NESTED)));
        return undefined;
    }
    const { ulaPrefix, dnsServiceAddress, etcdRestore, etcdBackup, kubernetesVersion, etcdVersion } = result.data;
    const ruleProblems = clusterRules(ulaPrefix, dnsServiceAddress);
    const etcdProblem = etcdVersion && etcdVersionProblem(kubernetesVersion, etcdVersion);
    if (etcdProblem) ruleProblems.push(problem(["cluster", "etcdVersion"], etcdProblem));
    if (etcdRestore?.snapshot.startsWith("s3:") && !etcdBackup.s3) {
        ruleProblems.push(
            problem(["cluster", "etcdRestore", "snapshot"], "is an s3: key, but cluster.etcdBackup.s3 (the store) is not set"),
        );
    }
    problems.push(...ruleProblems);
    if (ruleProblems.length > 0) return undefined;
    return { ...result.data, dnsServiceAddress: dnsServiceAddress ?? defaultDnsAddress(ulaPrefix) };
}

function kindOf(raw: unknown): "dedicated" | "hcloud" | undefined {
    const kind = (raw as { kind?: unknown } | null)?.kind;
    return kind === "dedicated" || kind === "hcloud" ? kind : undefined;
}

function parseNode(raw: unknown, at: number, problems: string[]): NodeConfig | undefined {
    const result = nodeSchema.safeParse(raw);
    if (!result.success) {
        const kind = kindOf(raw) ?? "dedicated";
        const other = kind === "dedicated" ? "hcloud" : "dedicated";
        const hint = (_: KeyPath, key: string) =>
            NODE_KEYS[other].includes(key) ? `only for kind ${other}, this node is kind ${kind}` : undefined;
        const hintTop = (p: KeyPath, key: string) => (p.length === 0 ? hint(p, key) : undefined);
        problems.push(...fromZod(["nodes", at], result.error.issues, raw, (p) => nestedKeys(p, NODE_KEYS[kind], NODE_NESTED), hintTop));
        return undefined;
    }
    const n = result.data;
    if (n.kind === "hcloud") return n;
    const publicAddress = n.publicAddress ?? n.gua.address(ROBOT_MAIN_ADDRESS_OFFSET);
    // Every SSH connection pins this key: without it the program would trust whatever answers.
    if (n.hostKey === undefined) {
        problems.push(
            problem(
                ["nodes", at, "hostKey"],
                `is required: the server's SSH public host key, which every connection to it pins; ${hostKeyHint(formatV6(publicAddress))}`,
            ),
        );
        return undefined;
    }
    return { ...n, hostKey: n.hostKey, publicAddress };
}

function parseNodes(raw: unknown, problems: string[]): Positioned<NodeConfig>[] | undefined {
    if (raw === undefined) {
        problems.push(problem(["nodes"], "is required"));
        return undefined;
    }
    if (!Array.isArray(raw)) {
        problems.push(problem(["nodes"], "must be a list of nodes"));
        return undefined;
    }
    if (raw.length === 0) {
        problems.push(problem(["nodes"], "must list at least one node"));
        return undefined;
    }
    const parsed: Positioned<NodeConfig>[] = [];
    raw.forEach((item, at) => {
        const node = parseNode(item, at, problems);
        if (node) parsed.push({ at, node });
    });
    problems.push(...nodeRules(parsed));
    // Quorum and role rules only make sense when every node is known.
    return parsed.length === raw.length ? parsed : undefined;
}

function parseServices(raw: unknown, problems: string[]): Positioned<ServiceConfig>[] | undefined {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) {
        problems.push(problem(["services"], "must be a list of services"));
        return undefined;
    }
    const parsed: Positioned<ServiceConfig>[] = [];
    raw.forEach((item, at) => {
        const result = serviceSchema.safeParse(item);
        if (result.success) parsed.push({ at, node: result.data });
        else problems.push(...fromZod(["services", at], result.error.issues, item, (p) => nestedKeys(p, SERVICE_KEYS, SERVICE_NESTED)));
    });
    return parsed.length === raw.length ? parsed : undefined;
}

/** What the kubelet would refuse in a node's settings, named at the block that sets it. */
function kubeletRules(cluster: ClusterConfig, nodes: readonly Positioned<NodeConfig>[]): string[] {
    const problems: string[] = [];
    const clusterProblem = kubeletSettingsProblem(kubeletSettingsOf(cluster.kubelet, undefined));
    if (clusterProblem) problems.push(problem(["cluster", "kubelet"], clusterProblem));
    for (const { at, node } of nodes) {
        const own = node.kubelet;
        if (own?.shutdownGracePeriodSeconds === undefined && own?.shutdownGracePeriodCriticalPodsSeconds === undefined) continue;
        const p = kubeletSettingsProblem(kubeletSettingsOf(cluster.kubelet, own));
        if (p) problems.push(problem(["nodes", at, "kubelet"], p));
    }
    return problems;
}

/**
 * Validates the project's config keys. `raw` maps each key (without the "<project>:" prefix) to
 * its value, objects already decoded. Throws ConfigError with one line per problem.
 */
export function validateStackConfig(raw: Readonly<Record<string, unknown>>): StackConfig {
    const problems: string[] = [];
    for (const key of Object.keys(raw)) {
        if (!TOP_LEVEL_KEYS.includes(key)) problems.push(unknownKey([], key, TOP_LEVEL_KEYS));
    }
    const cluster = parseCluster(raw.cluster, problems);
    const nodes = parseNodes(raw.nodes, problems);
    const services = parseServices(raw.services, problems);
    // A cluster block with other problems still says whether control-plane nodes take workloads.
    const scheduleOnControlPlane =
        cluster?.scheduleOnControlPlane ??
        (raw.cluster as { scheduleOnControlPlane?: unknown } | null | undefined)?.scheduleOnControlPlane === true;
    if (nodes) problems.push(...clusterShapeRules(nodes, scheduleOnControlPlane));
    if (nodes && cluster) problems.push(...dnsRules(cluster, nodes), ...kubeletRules(cluster, nodes));
    if (nodes && services) problems.push(...serviceRules(services, nodes));
    if (nodes && services && cluster) problems.push(...zoneRules(cluster, nodes, services));
    if (problems.length > 0 || !cluster || !nodes || !services) throw new ConfigError(problems);
    return {
        cluster,
        nodes: nodes.map((p) => p.node).sort((a, b) => a.index - b.index),
        services: services.map((p) => p.node),
    };
}

/** The secrets a deployment of this config needs. */
export function requiredSecrets(config: StackConfig): SecretKey[] {
    // hcloud servers, and the Hetzner DNS zone (the same API and token).
    const needsHcloud = config.nodes.some((n) => n.kind === "hcloud") || config.cluster.dns !== undefined;
    return [
        "sshPrivateKey",
        ...(needsHcloud ? (["hcloudToken"] as const) : []),
        "encryptionKey",
        ...(config.cluster.etcdBackup.s3 ? (["etcdBackupS3AccessKey", "etcdBackupS3SecretKey"] as const) : []),
    ];
}

/**
 * S3 credentials travel in a curl config file (`user = "<access key>:<secret key>"`): printable
 * ASCII without spaces, quotes or backslashes; the access key without a colon.
 */
const S3_CREDENTIAL = { etcdBackupS3AccessKey: /^[!#-9;-[\]-~]{1,256}$/, etcdBackupS3SecretKey: /^[!#-[\]-~]{1,256}$/ } as const;

/** Problems with the values of secrets that have a format (never echoing a value). */
export function secretValueProblems(raw: Readonly<Record<string, unknown>>): string[] {
    const problems: string[] = [];
    if ("encryptionKey" in raw) {
        const parsed = parseEncryptionKeys(String(raw.encryptionKey));
        if ("problem" in parsed) problems.push(problem(["encryptionKey"], parsed.problem));
    }
    for (const [key, shape] of Object.entries(S3_CREDENTIAL)) {
        if (!(key in raw)) continue;
        if (!shape.test(String(raw[key]))) {
            problems.push(
                problem([key], "must be printable ASCII without spaces, quotes or backslashes (and, for the access key, colons)"),
            );
        }
    }
    return problems;
}
