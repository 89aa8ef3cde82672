// Renders every file of every host of a stack without any cloud access, for review before apply
// (`npm run render`) and for the lab. It composes every concern below it (hosts, control plane,
// add-ons), as index.ts wires their components, so it sits at the top of components/ beside them. What only exists after creation (hcloud prefixes and addresses, WireGuard
// public keys made on the hosts, certificates) is passed in or rendered as a marked placeholder.
import { kubeletSettingsOf } from "./config/kubeletSettings";
import { gatewayCleanupCommand, gatewayFiles, gatewayInputs, hostDnsFiles } from "./nat64/render/gatewayFiles";
import { gateways, hostForwardedPorts, hostNameservers, hostPublicPorts, inboundIpv4Ports } from "./addons/render/plan";
import { binaryVersions, clusterFacts, nodeFacts } from "./controlplane/facts";
import { nodeKubernetesFiles } from "./controlplane/hostFiles";
import type { StackConfig } from "./config/types";
import { formatV6 } from "./network/prefix";
import { planStack } from "./config/stackPlan";
import { renderSkewCheck } from "./controlplane/render/activate";
import { PKI_COMMAND, binariesCommand, filesCommand } from "./controlplane/steps";
import { etcdPeerUrl } from "./controlplane/render/etcd";
import { selfMember } from "./controlplane/render/members";
import { HostCommands, hostCommands } from "./hosts/render/commands";
import { HostFiles, meshFiles, networkFiles } from "./hosts/render/files";
import { HostNet, MeshPeer, hostNet, placeholder } from "./hosts/render/hostNet";
import { APISERVER_PORT } from "./common/ports";

export interface RenderedHost {
    readonly net: HostNet;
    /** Node networking and the mesh (what `commands` apply). */
    readonly files: HostFiles;
    readonly commands: HostCommands;
    /** Kubernetes: runtime, kubelet, manifests, proxy, scripts (certificates come from the PKI step). */
    readonly kubernetes: HostFiles;
    /** NAT64 gateway and DNS64 resolver (IPv4 hosts only). */
    readonly gateway: HostFiles;
    /** The host's resolv.conf and what keeps it. */
    readonly dns: HostFiles;
    /** On a host without IPv4: the step that undoes a NAT64 gateway it may have been; null on gateways. */
    readonly nat64Cleanup: string | null;
    /** The Kubernetes steps as commands: the preflight, the pki step's command with a marker for its
     *  stdin (the keys: a secret, never rendered), and the files step's (`kubernetes`, with the etcd
     *  restart gate on a control-plane node). */
    readonly kubernetesCommands: {
        readonly preflight: string;
        readonly pki: string;
        readonly pkiStdin: string;
        readonly files: string;
        readonly binaries: string;
    };
}

export interface OfflineFacts {
    /** WireGuard public keys by node name, e.g. from a lab that generated them. */
    readonly publicKeys?: Readonly<Record<string, string>>;
    /** The hash of each node's certificates (what the program computes from its PKI), by node name. */
    readonly certificatesHashes?: Readonly<Record<string, string>>;
}

export function renderStack(config: StackConfig, facts: OfflineFacts = {}): RenderedHost[] {
    const plan = planStack(config);
    const nets = config.nodes.map((node, i) =>
        hostNet(config.cluster.ulaPrefix, plan.nodes[i], node.kind === "dedicated" ? node.gua : null),
    );
    const publicAddress = config.nodes.map((node) =>
        node.kind === "dedicated" ? formatV6(node.publicAddress) : placeholder("hcloud-ipv6", node.name),
    );
    const peers: MeshPeer[] = config.nodes.map((node, i) => ({
        name: node.name,
        publicKey: facts.publicKeys?.[node.name] ?? placeholder("wireguard-public-key", node.name),
        endpoint: publicAddress[i],
        allowedIps: nets[i].ula,
    }));
    const cp = config.nodes.filter((n) => n.roles.includes("control-plane"));
    const cluster = clusterFacts(config.cluster, plan, {
        joining: cp.filter((n) => n.joinEtcd).map((n) => n.name),
        leaving: cp.filter((n) => n.leaving).map((n) => n.name),
    });
    const versions = binaryVersions(config.cluster);
    const dns = hostDnsFiles(hostNameservers(config, plan));
    return nets.map((net, i) => {
        const node = config.nodes[i];
        const own = networkFiles(net, hostPublicPorts(config, plan, node.name, APISERVER_PORT), hostForwardedPorts(config, node.name));
        const mesh = meshFiles(net, peers);
        const gw = gateways(plan).find((g) => g.name === node.name);
        // An hcloud host's IPv4 exists only after creation: its gateway files are not rendered offline.
        const gateway =
            gw && node.kind === "dedicated" && node.ipv4
                ? gatewayFiles(
                      gatewayInputs(
                          gw,
                          {
                              inboundPorts: inboundIpv4Ports(config, gw.name),
                              clusterUla: config.cluster.ulaPrefix,
                              upstreamDns: config.cluster.upstreamDns,
                              pool: config.cluster.nat64Pool,
                          },
                          publicAddress[i],
                          node.ipv4,
                      ),
                  )
                : new Map();
        const facts1 = nodeFacts(
            plan.nodes[i],
            publicAddress[i],
            config.cluster.scheduleOnControlPlane,
            kubeletSettingsOf(config.cluster.kubelet, config.nodes[i].kubelet),
        );
        // A leaving node has no Kubernetes files any more (the program declares none of its steps).
        const kubernetes: HostFiles = node.leaving
            ? new Map()
            : nodeKubernetesFiles(cluster, facts1, {
                  versions,
                  joinEtcd: node.joinEtcd,
                  certificatesHash: facts.certificatesHashes?.[node.name] ?? placeholder("certificates-hash", node.name),
              });
        const etcdMember =
            facts1.controlPlane && !node.leaving ? { name: node.name, peerUrl: etcdPeerUrl(selfMember(cluster, facts1)) } : undefined;
        return {
            net,
            files: new Map([...own, ...mesh]),
            commands: hostCommands(own, mesh),
            kubernetes,
            gateway,
            dns,
            nat64Cleanup: gw ? null : gatewayCleanupCommand(),
            kubernetesCommands: {
                preflight: renderSkewCheck(versions.kubernetes, { controlPlane: facts1.controlPlane }),
                pki: PKI_COMMAND,
                pkiStdin: placeholder("stdin:certificates-and-keys", node.name),
                files: filesCommand(kubernetes, etcdMember),
                binaries: binariesCommand(facts1.controlPlane),
            },
        };
    });
}
