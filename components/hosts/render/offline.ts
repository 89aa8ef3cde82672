// Renders every host of a stack without any cloud access, for review before apply and for the lab.
// What only exists after creation (hcloud prefixes and addresses, WireGuard public keys, which are
// made on the hosts) is either passed in or rendered as a clearly marked placeholder.
import type { StackConfig } from "../../config/types";
import { formatV6 } from "../../network/prefix";
import { planStack } from "../../network/stackPlan";
import { HostCommands, hostCommands } from "./commands";
import { HostFiles, meshFiles, networkFiles } from "./files";
import { HostNet, MeshPeer, hostNet, placeholder } from "./hostNet";

export interface RenderedHost {
    readonly net: HostNet;
    readonly files: HostFiles;
    readonly commands: HostCommands;
}

export interface OfflineFacts {
    /** WireGuard public keys by node name, e.g. from a lab that generated them. */
    readonly publicKeys?: Readonly<Record<string, string>>;
}

export function renderStack(config: StackConfig, facts: OfflineFacts = {}): RenderedHost[] {
    const plan = planStack(config);
    const nets = config.nodes.map((node, i) => hostNet(config.cluster.ulaPrefix, plan.nodes[i], node.kind === "dedicated" ? node.gua : null));
    const peers: MeshPeer[] = config.nodes.map((node, i) => ({
        name: node.name,
        publicKey: facts.publicKeys?.[node.name] ?? placeholder("wireguard-public-key", node.name),
        endpoint: node.kind === "dedicated" ? formatV6(node.publicAddress) : placeholder("hcloud-ipv6", node.name),
        allowedIps: nets[i].ula,
    }));
    return nets.map((net) => {
        const own = networkFiles(net);
        const mesh = meshFiles(net, peers);
        return { net, files: new Map([...own, ...mesh]), commands: hostCommands(own, mesh) };
    });
}
