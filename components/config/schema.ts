// Shape and per-field rules of the stack config, as zod schemas that produce the typed config.
// Rules that relate several nodes to each other live in rules.ts.
import { X509Certificate } from "crypto";
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { Prefix, parseV6Address } from "../network/prefix";
import { parseHostKey } from "./hostKey";
import { nat64PoolProblems } from "./nat64Pool";
import { DEFAULT_NAT64_POOL, NODE_KINDS, ROLES, SSH_ANYWHERE } from "./types";
import { COMPONENT_VERSIONS } from "../common/releases";
import { kubeletSchema } from "./kubeletSettings";
import { NODE_PORT_RANGE } from "../common/ports";
import { DNS_LABEL, RESTORE_ID } from "../common/names";

const ULA_SPACE = Prefix.parse("fc00::/7");
const GLOBAL_UNICAST_SPACE = Prefix.parse("2000::/3");
const KUBERNETES_VERSION = /^1\.(\d{1,3})\.(\d{1,3})$/;
/** Oldest minor we render configs for (KubeletConfiguration and flags differ before it). */
export const MIN_KUBERNETES_MINOR = 31;
/** hcloud locations as of 2026; a new one is a one-line change here. */
export const HCLOUD_LOCATIONS = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"] as const;
/** IPv4 ranges that cannot be a server's public address. */
const NON_PUBLIC_V4 = new Set(["unspecified", "broadcast", "multicast", "linkLocal", "loopback", "private", "carrierGradeNat"]);

function parsed<T>(parse: (text: string) => T) {
    return z.string().transform((text, ctx) => {
        try {
            return parse(text);
        } catch (e) {
            ctx.addIssue({ code: "custom", message: (e as Error).message });
            return z.NEVER;
        }
    });
}

const ipv6Prefix = parsed(Prefix.parse);
/** An IPv6 or IPv4 CIDR, kept as text (firewall rules take either). */
const anyPrefix = z.string().check((ctx) => {
    try {
        ipaddr.parseCIDR(ctx.value);
    } catch {
        ctx.issues.push({
            code: "custom",
            input: ctx.value,
            message: `"${ctx.value}" is not a prefix like 2001:db8::/48 or 198.51.100.0/24`,
        });
    }
});
const ipv6Address = parsed(parseV6Address);
/** An OpenSSH public host key line, kept as `<type> <base64>` (rules in hostKey.ts). */
const sshHostKey = z.string().transform((text, ctx) => {
    const key = parseHostKey(text);
    if (typeof key === "string") return key;
    ctx.addIssue({ code: "custom", message: key.problem });
    return z.NEVER;
});

/** Tayga's pool (rules in nat64Pool.ts), each problem on the key at fault. */
const nat64PoolSchema = z
    .object({ ipv4Address: z.string(), dynamicPool: z.string() })
    .strict()
    .check((ctx) => {
        for (const p of nat64PoolProblems(ctx.value))
            ctx.issues.push({ code: "custom", input: ctx.value, path: [p.key], message: p.message });
    });

const ulaPrefix = ipv6Prefix.check((ctx) => {
    const p = ctx.value;
    if (p.length !== 64) {
        ctx.issues.push({ code: "custom", input: p, message: `must be exactly a /64, got /${p.length}` });
    } else if (!ULA_SPACE.contains(p)) {
        ctx.issues.push({ code: "custom", input: p, message: `${p} is not a unique local prefix (fc00::/7)` });
    }
});

const guaPrefix = ipv6Prefix.check((ctx) => {
    const p = ctx.value;
    if (!GLOBAL_UNICAST_SPACE.contains(p)) {
        ctx.issues.push({ code: "custom", input: p, message: `${p} is not a global unicast prefix (2000::/3)` });
    } else if (p.length > 80) {
        ctx.issues.push({ code: "custom", input: p, message: `must be /80 or shorter, got /${p.length}` });
    }
});

const publicIpv4 = z.string().check((ctx) => {
    const text = ctx.value;
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) {
        ctx.issues.push({ code: "custom", input: text, message: `"${text}" is not a dotted-quad IPv4 address` });
        return;
    }
    const range = ipaddr.IPv4.parse(text).range();
    if (NON_PUBLIC_V4.has(range)) {
        ctx.issues.push({ code: "custom", input: text, message: `${text} is a ${range} address, not a public one` });
    }
});

const kubernetesVersion = z.string().check((ctx) => {
    const m = KUBERNETES_VERSION.exec(ctx.value);
    if (!m) {
        ctx.issues.push({ code: "custom", input: ctx.value, message: `"${ctx.value}" is not a release like "1.34.2"` });
    } else if (Number(m[1]) < MIN_KUBERNETES_MINOR) {
        ctx.issues.push({
            code: "custom",
            input: ctx.value,
            message: `${ctx.value} is older than the oldest supported minor 1.${MIN_KUBERNETES_MINOR}`,
        });
    } else if (!(Number(m[1]) in COMPONENT_VERSIONS)) {
        ctx.issues.push({
            code: "custom",
            input: ctx.value,
            message: `1.${m[1]} is newer than this program knows (etcd/pause versions: components/controlplane/render/defaults.ts)`,
        });
    }
});

const semver = z.string().regex(/^\d+\.\d+\.\d+$/, 'must be a release like "2.1.4" (no v)');

/** Hetzner's recursive resolvers, reachable over IPv6 from every Hetzner server (cloud and Robot). */
export const HETZNER_RESOLVERS = ["2a01:4ff:ff00::add:1", "2a01:4ff:ff00::add:2"] as const;
/** glibc reads at most three nameservers; CoreDNS takes more, but the hosts' resolv.conf would drop them. */
export const MAX_UPSTREAM_RESOLVERS = 3;
/** An IPv6 resolver address in RFC 5952 form (the cluster cannot reach IPv4 resolvers). */
const resolverAddress = z.string().transform((text, ctx) => {
    if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
        ctx.addIssue({ code: "custom", message: `${text} is an IPv4 address: the cluster is IPv6-only, name an IPv6 resolver` });
        return z.NEVER;
    }
    if (!ipaddr.IPv6.isValid(text) || text.includes("/") || text.includes("%")) {
        ctx.addIssue({ code: "custom", message: `"${text}" is not an IPv6 address` });
        return z.NEVER;
    }
    return ipaddr.IPv6.parse(text).toRFC5952String();
});

/**
 * An http(s) URL without query, user, fragment or trailing /; IPv6 literals in brackets. `only`:
 * `https` refuses http, `origin` any path.
 */
const httpUrl = (what: string, only: { https?: boolean; origin?: boolean } = {}) =>
    z.string().check((ctx) => {
        let url: URL | undefined;
        try {
            url = new URL(ctx.value);
        } catch {
            url = undefined;
        }
        if (
            !url ||
            !(only.https ? ["https:"] : ["http:", "https:"]).includes(url.protocol) ||
            (only.origin && url.pathname !== "/") ||
            url.search ||
            url.hash ||
            url.username ||
            ctx.value.endsWith("/")
        ) {
            ctx.issues.push({ code: "custom", input: ctx.value, message: `"${ctx.value}" is not ${what}` });
        }
    });
const mirrorUrl = httpUrl("an http(s)://host[:port][/v2/...] mirror URL without a trailing /").check((ctx) => {
    const path = URL.canParse(ctx.value) ? new URL(ctx.value).pathname : "/";
    if (path !== "/" && path !== "/v2" && !path.startsWith("/v2/")) {
        ctx.issues.push({
            code: "custom",
            input: ctx.value,
            message: `a mirror path must start with /v2 (the registry API), got "${path}"`,
        });
    }
});
const releaseBase = httpUrl("an http(s):// base URL without a trailing /");
export const releaseBasesSchema = z.strictObject({
    kubernetes: releaseBase.optional(),
    containerd: releaseBase.optional(),
    runc: releaseBase.optional(),
    etcd: releaseBase.optional(),
});

/** A PEM CA certificate (one or more), parsed by Node's X.509 reader. */
const caCertificatePem = z.string().check((ctx) => {
    const blocks = ctx.value.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const bad =
        blocks.length === 0 ||
        blocks.some((b) => {
            try {
                return !new X509Certificate(b).ca;
            } catch {
                return true;
            }
        });
    if (bad) ctx.issues.push({ code: "custom", input: "(PEM)", message: "must be PEM CA certificates (-----BEGIN CERTIFICATE-----)" });
});

/**
 * Where every control-plane node uploads its etcd snapshots (an S3-compatible store: Hetzner
 * Object Storage, AWS S3, MinIO ...), path-style: `<endpoint>/<bucket>/<prefix><node>/etcd-<UTC time>.db`.
 * The credentials are the secrets etcdBackupS3AccessKey and etcdBackupS3SecretKey.
 */
export const etcdBackupS3Schema = z.strictObject({
    /** https://host[:port], e.g. https://fsn1.your-objectstorage.com (TLS only: a snapshot holds every Secret). */
    endpoint: httpUrl("an https://host[:port] URL (without a path or a trailing /)", { https: true, origin: true }),
    /** The region the signatures name (SigV4), e.g. fsn1 on Hetzner. */
    region: z.string().regex(/^[a-z0-9-]{1,32}$/, "must be a region name like fsn1 or eu-central-1"),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name (3-63 lower-case letters, digits, . and -)"),
    /** Before each node's name in the object keys; empty or ending in /, e.g. `prod/`. */
    prefix: z
        .string()
        .regex(/^([A-Za-z0-9._-]+\/)*$/, 'must be empty or path segments of letters, digits, . _ - each ending in /, e.g. "prod/"')
        .default(""),
    /** Snapshots kept in the bucket per node (the oldest are deleted after each upload); default 28. */
    keep: z.int().min(1).max(1000).default(28),
    /** PEM CA certificate(s) the endpoint's certificate is checked against instead of the system's (a private store). */
    caCertificate: caCertificatePem.optional(),
});

export const etcdBackupSchema = z.strictObject({
    /** Upload every snapshot to an S3-compatible store; default none (they stay on the nodes). */
    s3: etcdBackupS3Schema.optional(),
});

/**
 * A restore of etcd from a snapshot, carried out by `pulumi up` on every control-plane member
 * (controlplane/render/etcdRestore.ts). `id` names the restore: the steps run once per id.
 */
export const etcdRestoreSchema = z.strictObject({
    id: z.string().regex(RESTORE_ID, "must be lower-case letters, digits and dashes (at most 63), e.g. 2026-12-07-a"),
    /**
     * The snapshot's path on every control-plane node (the same file on each), or `s3:<object key>`
     * in cluster.etcdBackup.s3's bucket (each node downloads it), e.g. `s3:prod/cp1/etcd-20261207T000000Z.db`.
     */
    snapshot: z
        .string()
        .regex(/^(\/|s3:)[A-Za-z0-9._/-]+$/, "must be an absolute path, or s3:<object key>, of letters, digits, . _ - and /"),
    /** The snapshot's sha256 (`sha256sum`): every node's copy must match before anything stops. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be the snapshot's sha256, 64 lower-case hex digits"),
});

export const kubeProxySchema = z.strictObject({
    /**
     * kube-proxy's `conntrack.maxPerCore`; unset keeps its default (32768). 0 leaves the kernel's
     * nf_conntrack_max alone (needed where it is read-only, e.g. outside the initial namespace).
     */
    conntrackMaxPerCore: z.int().min(0).optional(),
    /**
     * NodePorts the internet may reach on the hosts' public addresses (a `NodePort` or
     * `LoadBalancer` Service's port in 30000-32767); default none: NodePorts answer only on the
     * cluster ULA (kube-proxy's `nodePortAddresses`), and the host firewall drops the rest.
     */
    publicNodePorts: z
        .array(
            z.strictObject({
                port: z.int().min(NODE_PORT_RANGE.min).max(NODE_PORT_RANGE.max),
                protocol: z.enum(["TCP", "UDP"]).default("TCP"),
            }),
        )
        .default([]),
});

/**
 * Publishing the public services' records (and the nodes') in a Hetzner DNS zone (hcloud.Zone,
 * hcloud.ZoneRrset, hcloud.Rdns); opt-in: without it the records are only the `dnsRecords` output.
 */
export const dnsSchema = z.strictObject({
    /** The zone, e.g. example.org: every service's dnsName must be in it. */
    zone: z
        .string()
        .regex(
            /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
            "must be a lower-case DNS zone like example.org",
        ),
    /** The program creates the zone (primary, in the project's hcloud account); false: it exists, only record sets are managed. */
    manageZone: z.boolean().default(false),
    /** TTL of every record set the program manages, in seconds. */
    ttl: z.int().min(60).max(86400).default(300),
});

export const corednsSchema = z.strictObject({
    /** CoreDNS pods; default 2. */
    replicas: z.int().min(1).max(20).default(2),
    /** `required`: never two replicas on one node while another node can take one; `preferred`: try. */
    spread: z.enum(["required", "preferred"]).default("required"),
});

/** A port a host serves to the internet; `protocol` as Kubernetes spells it. */
export const portSchema = z.strictObject({
    port: z.int().min(1).max(65535),
    protocol: z.enum(["TCP", "UDP"]).default("TCP"),
});

export const pkiSchema = z.strictObject({
    /** Leaf certificates; re-issued when less than a tenth of this is left. */
    certificateValidityHours: z
        .int()
        .min(24)
        .max(5 * 8760)
        .default(8760),
    caValidityHours: z
        .int()
        .min(8760)
        .max(30 * 8760)
        .default(10 * 8760),
    /** Bump to re-issue every leaf certificate and key (rotation); CAs stay. */
    generation: z.int().min(0).default(0),
});

export const clusterSchema = z.strictObject({
    ulaPrefix,
    kubernetesVersion,
    /**
     * The members' etcd release instead of kubeadm's pin for the Kubernetes minor (COMPONENT_VERSIONS):
     * another patch of the same etcd minor, e.g. a newer one with a fix. Its image is
     * registry.k8s.io/etcd:<version>-0 (or a mirror's), its etcdutl from the etcd release.
     */
    etcdVersion: semver.optional(),
    dnsServiceAddress: ipv6Address.optional(),
    pki: pkiSchema.default({ certificateValidityHours: 8760, caValidityHours: 10 * 8760, generation: 0 }),
    /** Extra DNS names or IPs in every apiserver certificate (a public API name, say). */
    apiserverExtraNames: z.array(z.string().regex(/^[a-z0-9.:-]+$/i, "must be a DNS name or an IP address")).default([]),
    /** Who may reach the apiservers on their public addresses (the Pulumi runner, admins). */
    adminPrefixes: z.array(anyPrefix).default([]),
    /** Every node's kubelet reservations, eviction thresholds and shutdown grace (config/kubeletSettings.ts). */
    kubelet: kubeletSchema.default({}),
    /**
     * Who may open SSH to the hosts' public addresses (host firewall and hcloud firewall). The Pulumi
     * runner must be among them: every step runs over SSH. Open to all by default (with a warning).
     */
    sshPrefixes: z
        .array(anyPrefix)
        .check((ctx) => {
            if (ctx.value.length === 0)
                ctx.issues.push({
                    code: "custom",
                    input: ctx.value,
                    message: "must list at least one prefix: the Pulumi runner reaches every host over SSH",
                });
        })
        .default([...SSH_ANYWHERE]),
    /**
     * Namespaces where a Service may carry externalIPs besides the public services' own (a
     * Service the operator manages by hand, say); every other namespace is refused them.
     */
    externalIPNamespaces: z.array(z.string().regex(DNS_LABEL, "must be a DNS label")).default([]),
    containerdVersion: semver.default("2.1.4"),
    runcVersion: semver.default("1.3.0"),
    /** Recursive resolvers CoreDNS and the hosts' DNS64 resolvers forward to; never /etc/resolv.conf. */
    upstreamDns: z
        .array(resolverAddress)
        .min(1)
        .check((ctx) => {
            if (ctx.value.length > MAX_UPSTREAM_RESOLVERS) {
                ctx.issues.push({
                    code: "custom",
                    input: ctx.value,
                    message: `lists ${ctx.value.length} resolvers, at most ${MAX_UPSTREAM_RESOLVERS} are used (glibc reads three nameservers)`,
                });
            }
        })
        .default([...HETZNER_RESOLVERS]),
    /** Tayga's IPv4 pool on every NAT64 gateway (never on the wire: masqueraded out of the uplink). */
    nat64Pool: nat64PoolSchema.default({ ...DEFAULT_NAT64_POOL }),
    /** The IPv4 node whose NAT64 /96 CoreDNS synthesises into; default the IPv4 node with the lowest index. */
    dns64Gateway: z.string().optional(),
    coredns: corednsSchema.default({ replicas: 2, spread: "required" }),
    /**
     * Pull-through mirrors by registry host (`registry.k8s.io`, `docker.io`, ...): containerd asks the
     * mirror first, then the registry itself. A URL with a path (which must start with `/v2`) means
     * the mirror serves that registry's repositories under it (containerd's `override_path`).
     */
    registryMirrors: z
        .record(z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, "must be a registry host like registry.k8s.io"), mirrorUrl)
        .default({}),
    /** Where install-binaries.sh downloads releases from (a mirror of the upstream layout); unset keeps upstream. */
    releaseBases: releaseBasesSchema.default({}),
    kubeProxy: kubeProxySchema.default({ publicNodePorts: [] }),
    /** Publish DNS records in a Hetzner DNS zone (config/schema.ts dnsSchema); default: not. */
    dns: dnsSchema.optional(),
    /** Where etcd snapshots go besides the nodes (README, "etcd backups"). */
    etcdBackup: etcdBackupSchema.default({}),
    /** Restore etcd from a snapshot on every control-plane node (README, "Restore etcd from a snapshot"). */
    etcdRestore: etcdRestoreSchema.optional(),
    /**
     * Run workloads on control-plane nodes too (small clusters): they get no
     * node-role.kubernetes.io/control-plane:NoSchedule taint, and a cluster without a worker is valid.
     */
    scheduleOnControlPlane: z.boolean().default(false),
    /**
     * Set (and `pulumi up`) only right before `pulumi destroy` of the whole cluster: removing a node
     * then neither drains it nor removes its etcd member (which would refuse the last one).
     */
    teardown: z.boolean().default(false),
    /**
     * The apiserver URL the Pulumi runner's Kubernetes provider uses; default the first control-plane
     * node's public address. E.g. `https://127.0.0.1:16443` through an SSH tunnel.
     */
    kubernetesProviderServer: z
        .string()
        .check((ctx) => {
            let url: URL | undefined;
            try {
                url = new URL(ctx.value);
            } catch {
                url = undefined;
            }
            if (!url || url.protocol !== "https:" || (url.pathname !== "/" && url.pathname !== "") || url.search || url.username) {
                ctx.issues.push({ code: "custom", input: ctx.value, message: `"${ctx.value}" is not an https://host:port URL` });
            }
        })
        .optional(),
});

const common = {
    name: z.string().regex(DNS_LABEL, "must be a DNS label: lower-case letters, digits and '-', at most 63"),
    index: z.int().min(1).max(65535),
    roles: z
        .array(z.enum(ROLES))
        .min(1)
        .refine((r) => new Set(r).size === r.length, "lists a role twice"),
    /** A control-plane node added to a running cluster: its etcd joins (after `etcdctl member add`). */
    joinEtcd: z.boolean().default(false),
    /** The node leaves the cluster in this run (drained, its etcd member removed, Kubernetes stopped and its keys deleted); remove it from `nodes` in the next. */
    leaving: z.boolean().default(false),
    /** This node's kubelet settings, key by key over cluster.kubelet (a pool: one block for several nodes). */
    kubelet: kubeletSchema.optional(),
};

export const dedicatedNodeSchema = z.strictObject({
    ...common,
    kind: z.literal("dedicated"),
    gua: guaPrefix,
    publicAddress: ipv6Address.optional(),
    ipv4: publicIpv4.optional(),
    /**
     * The server's SSH public host key, pinned on every connection, and who the server is: a new one
     * (a reinstall) re-applies every step. Required; optional here only so load.ts can say where to
     * read it (with the node's address) instead of a bare "is required".
     */
    hostKey: sshHostKey.optional(),
    /** Ports of host-network listeners that IPv4 clients reach through the NAT64 gateway; IPv4 nodes only. */
    ipv4Ports: z.array(portSchema).default([]),
});

export const hcloudNodeSchema = z.strictObject({
    ...common,
    kind: z.literal("hcloud"),
    serverType: z.string().regex(/^[a-z0-9-]+$/, 'must be an hcloud server type such as "cx33"'),
    location: z.enum(HCLOUD_LOCATIONS),
    image: z.string().min(1),
    ipv4: z.boolean().default(false),
    ipv4Ports: z.array(portSchema).default([]),
});

export const nodeSchema = z.discriminatedUnion("kind", [dedicatedNodeSchema, hcloudNodeSchema]);

const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.?$/i;

export const servicePortSchema = z.strictObject({
    /** Port name (IANA-style); default `<protocol>-<port>`, lower case. */
    name: z.string().regex(DNS_1035_LABEL, "must be a DNS label starting with a letter").max(15).optional(),
    port: z.int().min(1).max(65535),
    /** The container port; default `port`. */
    targetPort: z.int().min(1).max(65535).optional(),
    protocol: z.enum(["TCP", "UDP"]).default("TCP"),
});

export const workloadSchema = z.strictObject({
    image: z.string().regex(/^[^\s]+$/, "must be an image reference without spaces"),
    args: z.array(z.string()).default([]),
    replicas: z.int().min(1).max(100).default(1),
});

/** A ClusterIP service exposed on chosen hosts' public addresses (externalIPs), as the design does it. */
export const serviceSchema = z.strictObject({
    name: z.string().regex(DNS_1035_LABEL, "must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter"),
    namespace: z.string().regex(DNS_LABEL, "must be a DNS label").default("default"),
    /** Node names whose public addresses carry the service (and get DNS records). */
    hosts: z.array(z.string()).min(1),
    ports: z.array(servicePortSchema).min(1),
    /** The name clients use; the `dnsRecords` output lists the records to publish for it. */
    dnsName: z.string().regex(DNS_NAME, "must be a DNS name like www.example.org").optional(),
    /** Also run this container as the service's backend (a Deployment); otherwise select existing pods. */
    workload: workloadSchema.optional(),
});

export const SERVICE_KEYS = Object.keys(serviceSchema.shape);

/** Keys a node of each kind accepts, for "did you mean" and "not allowed for kind" hints. */
export const NODE_KEYS: Record<(typeof NODE_KINDS)[number], readonly string[]> = {
    dedicated: Object.keys(dedicatedNodeSchema.shape),
    hcloud: Object.keys(hcloudNodeSchema.shape),
};
export const CLUSTER_KEYS = Object.keys(clusterSchema.shape);
