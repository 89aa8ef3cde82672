// Wiring only: read the config once, build the cluster, export what operators read.
// First: Pulumi's per-promise debug stacks off (components/promiseStacks.ts says why).
import "./components/promiseStacks";
import { ClusterServices } from "./components/addons/clusterServices";
import { HostDns } from "./components/nat64/hostDns";
import { createNat64Cleanups, createNat64Gateways } from "./components/nat64/gateway";
import { createPublicServices } from "./components/addons/publicService";
import { clusterServiceInputs } from "./components/addons/render/clusterObjects";
import { hcloudPublicPorts, hostForwardedPorts, hostNameservers, hostPublicPorts } from "./components/addons/render/plan";
import { loadConfig } from "./components/config/pulumiConfig";
import { KubernetesCluster } from "./components/controlplane/cluster";
import { encryptionKeyNames, encryptionRewrittenChecked, encryptionRotationChecked } from "./components/controlplane/encryptionRotation";
import { barrier } from "./components/hosts/barrier";
import { createHosts } from "./components/hosts/hosts";
import { previousOutputs, removalsChecked } from "./components/hosts/removals";
import { Mesh } from "./components/hosts/mesh";
import { NodeNetwork } from "./components/hosts/nodeNetwork";
import { nodeOutput } from "./components/hosts/outputs";
import { planToJson } from "./components/network/plan";
import { planStack } from "./components/config/stackPlan";
import { APISERVER_PORT } from "./components/common/ports";
import { hasIpv4 } from "./components/config/types";
import { DnsZone } from "./components/dns/zone";

const { config, secrets } = loadConfig();
const plan = planStack(config);
const ula = config.cluster.ulaPrefix;

// A node dropped from `nodes` must have left in an earlier run (config/removals.ts): checked
// against the previous run's `nodes` output before any host changes.
const previous = previousOutputs();
const checked = removalsChecked(config.nodes, previous);
// An encryption key rotation in its safe order (config/encryptionKey.ts), checked against the
// previous run's key names before any control-plane step.
const encryptionKeys = encryptionKeyNames(secrets.encryptionKey);
const rotationChecked = encryptionRotationChecked(encryptionKeys, previous);
const hosts = createHosts(config.nodes, plan, secrets, {
    after: [checked],
    apiserverPort: APISERVER_PORT,
    adminPrefixes: config.cluster.adminPrefixes,
    sshPrefixes: config.cluster.sshPrefixes,
    hcloudPublicPorts: hcloudPublicPorts(config),
});
const networks = hosts.map(
    (host) =>
        new NodeNetwork(`node-${host.name}`, {
            host,
            clusterUla: ula,
            // Control-plane nodes open the apiserver port to the admin prefixes, IPv4 hosts their NAT64 ports.
            publicPorts: hostPublicPorts(config, plan, host.name, APISERVER_PORT),
            // What kube-proxy may forward from outside: its public services' ports, public NodePorts.
            forwardedPorts: hostForwardedPorts(config, host.name),
        }),
);
const mesh = new Mesh("mesh", { members: hosts.map((host, i) => ({ host, network: networks[i] })) });
// IPv4 hosts: NAT64 both ways and a DNS64 resolver; every host resolves through those before
// Kubernetes starts pulling images.
const gateways = createNat64Gateways(plan, hosts, mesh.commands, {
    clusterUla: ula,
    upstreamDns: config.cluster.upstreamDns,
    services: config.services,
    pool: config.cluster.nat64Pool,
});
const hostDns = new HostDns("dns", {
    members: hosts.map((host, i) => ({ host, after: [mesh.commands[i]] })),
    nameservers: hostNameservers(config, plan),
    resolvers: gateways.map((g) => g.ready),
});
// Kubernetes on any host starts once every host's mesh and DNS are done: one barrier, so each
// node's first step has one dependency instead of 2N (barrier.ts).
const hostsReady = barrier("hosts-ready", [...mesh.commands, ...hostDns.commands]);
// A node `leaving` stays a host (in the mesh, with its DNS) for this run, but not a Kubernetes
// node: its Kubernetes resources go, and their deletes drain it and wipe it (membership.ts).
// A run that drops an encryption key first checks, on the first control-plane node, that no
// Secret is stored under it any more (controlplane/render/encryptionRewritten.ts).
const rewritten = encryptionRewrittenChecked(
    hosts.find((h) => h.config.roles.includes("control-plane") && !h.config.leaving)!,
    encryptionKeys,
    previous,
    [hostsReady, rotationChecked],
    config.cluster.etcdRestore?.id,
);
const kubernetes = new KubernetesCluster("k8s", {
    hosts: hosts.filter((h) => !h.config.leaving),
    leaving: hosts.filter((h) => h.config.leaving),
    serviceAddresses: plan.cluster,
    kubernetesVersion: config.cluster.kubernetesVersion,
    etcdVersion: config.cluster.etcdVersion,
    containerdVersion: config.cluster.containerdVersion,
    runcVersion: config.cluster.runcVersion,
    releaseBases: config.cluster.releaseBases,
    registryMirrors: config.cluster.registryMirrors,
    pki: config.cluster.pki,
    apiserverExtraNames: config.cluster.apiserverExtraNames,
    scheduleOnControlPlane: config.cluster.scheduleOnControlPlane,
    kubelet: config.cluster.kubelet,
    teardown: config.cluster.teardown,
    etcdRestore: config.cluster.etcdRestore,
    etcdBackupS3: config.cluster.etcdBackup.s3 && { store: config.cluster.etcdBackup.s3, credentials: secrets.etcdBackupS3! },
    encryptionKey: secrets.encryptionKey,
    after: [hostsReady, rotationChecked, rewritten],
});
const services = new ClusterServices("addons", {
    // The objects' inputs from the one mapping the golden tests render too.
    ...clusterServiceInputs(config, plan),
    adminPrefixes: config.cluster.adminPrefixes,
    kubernetesProviderServer: config.cluster.kubernetesProviderServer,
    kubeconfig: kubernetes.adminKubeconfig,
    // Every apiserver serves and every kubelet runs before the provider talks to the cluster.
    dependsOn: [kubernetes.controlPlaneReady, ...kubernetes.started],
    publicAddresses: hosts.map((h) => h.publicAddress),
    ipv4Ports: config.nodes.flatMap((n) => n.ipv4Ports),
    policyCheck: { host: kubernetes.adminHost, apiservers: kubernetes.apiserverMeshEndpoints },
});
const publicServices = createPublicServices(config.services, hosts, services);
// cluster.dns: the services' and nodes' records in a Hetzner DNS zone, following the hosts.
const staying = config.nodes.filter((n) => !n.leaving);
const dnsZone = config.cluster.dns
    ? new DnsZone("dns", {
          dns: config.cluster.dns,
          token: secrets.hcloudToken!,
          services: config.services.map((s, i) => ({ dnsName: s.dnsName, hosts: s.hosts, ready: publicServices[i] })),
          nodes: staying.map((n) => ({ name: n.name, ipv4: hasIpv4(n) })),
          hosts: hosts.filter((h) => !h.config.leaving),
      })
    : undefined;
// Hosts without IPv4 undo a NAT64 gateway they may have been (a node that lost `ipv4`), once
// nothing points at it any more: every host's resolv.conf and CoreDNS have moved on. One barrier
// for all of them, as for Kubernetes.
createNat64Cleanups(plan, hosts, [barrier("dns-moved-on", [...hostDns.commands, services])]);

/** The cluster prefixes: ULA /64, service /112, CoreDNS address. */
export const cluster = planToJson(plan).cluster;
/** Per node: kind, roles, ULA/GUA/pod prefixes, NAT64 /96, WireGuard public key and endpoint. */
export const nodes = hosts.map((host, i) => nodeOutput(ula, host, networks[i]));
/** The NAT64 /96 prefixes, one per IPv4 host. */
export const nat64Prefixes = plan.nodes.flatMap((n) => (n.nat64 ? [n.nat64.toString()] : []));
/** The NAT64 /96 CoreDNS's dns64 synthesises into (null without IPv4 hosts), and whose it is. */
export const dns64 = { prefix: services.dns64Prefix, gateway: services.dns64Gateway };
/** Every control-plane apiserver, on its public address. */
export const apiserverEndpoints = kubernetes.apiserverEndpoints;
/** Admin kubeconfig (secret): `pulumi stack output --show-secrets kubeconfig > kubeconfig`. */
export const kubeconfig = kubernetes.adminKubeconfig;
/** Per node, when its earliest certificate expires (RFC 3339); `pulumi up` re-issues it in the last tenth of its life. */
export const certificateExpiry = kubernetes.certificateExpiry;
/** Per public service: the AAAA (and A) records to publish, and the same as zone-file lines. */
export const dnsRecords = publicServices.map((s) => s.records);
/** The encryption keys' names (short hashes, the writer first): the next run checks its rotation against them. */
export { encryptionKeys };
/** With cluster.dns: the zone and every record set the program keeps in it; otherwise null. */
export const dnsZoneRecords = dnsZone ? { zone: dnsZone.zone, recordSets: dnsZone.recordSets } : null;
