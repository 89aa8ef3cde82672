// Every file a host receives, keyed by its absolute path on the host.
import { CNI_CONFLIST_PATH, renderCniConflist } from "./cni";
import { HostNet, MeshPeer, NAT64_TUN } from "./hostNet";
import { FIREWALL_PATH, ForwardedPort, PublicPort, renderFirewall } from "./nftables";
import {
    INSTALL_PACKAGES_PATH,
    MESH_UP_PATH,
    NETWORK_UNIT_PATH,
    NETWORK_UP_PATH,
    WIREGUARD_KEY_SCRIPT_PATH,
    renderInstallPackages,
    renderMeshUp,
    renderNetworkUnit,
    renderNetworkUp,
    renderWireguardKey,
} from "./scripts";
import { MODULES_PATH, SYSCTL_PATH, renderModules, renderSysctl } from "./sysctl";
import { WIREGUARD_CONF_PATH, renderWireguardConf } from "./wireguard";

export interface HostFile {
    readonly content: string;
    /** Octal mode, as `install -m` takes it. */
    readonly mode: string;
}

export type HostFiles = ReadonlyMap<string, HostFile>;

const file = (content: string): HostFile => ({ content, mode: "0644" });
const script = (content: string): HostFile => ({ content, mode: "0755" });

/** Files that depend only on the host itself: written and applied when the host is prepared. */
/**
 * `publicPorts`: what the host's input chain opens beyond SSH and WireGuard; `forwardedPorts`: what
 * kube-proxy may forward to pods from outside the mesh (its public services, public NodePorts).
 */
export function networkFiles(host: HostNet, publicPorts: readonly PublicPort[], forwardedPorts: readonly ForwardedPort[]): HostFiles {
    return new Map([
        [SYSCTL_PATH, file(renderSysctl({ ipv4Gateway: host.nat64 !== null }))],
        [MODULES_PATH, file(renderModules())],
        [CNI_CONFLIST_PATH, file(renderCniConflist(host))],
        [
            FIREWALL_PATH,
            file(
                renderFirewall(host.name, host.podGua.subnet, publicPorts, {
                    clusterUla: host.clusterUla,
                    ports: forwardedPorts,
                    nat64Interface: host.nat64 === null ? null : NAT64_TUN,
                }),
            ),
        ],
        [NETWORK_UNIT_PATH, file(renderNetworkUnit())],
        [INSTALL_PACKAGES_PATH, script(renderInstallPackages())],
        [NETWORK_UP_PATH, script(renderNetworkUp(host))],
        [WIREGUARD_KEY_SCRIPT_PATH, script(renderWireguardKey())],
        [MESH_UP_PATH, script(renderMeshUp(host))],
    ]);
}

/** Files that change when the mesh changes (a node added or removed). */
export function meshFiles(host: HostNet, peers: readonly MeshPeer[]): HostFiles {
    return new Map([[WIREGUARD_CONF_PATH, { content: renderWireguardConf(host, peers), mode: "0600" }]]);
}
