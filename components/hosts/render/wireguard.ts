// wg-quick config of the mesh. The private key is generated on the host and never rendered here:
// PostUp loads it from a file only root can read.
import { HostNet, MESH_MTU, MeshPeer, WIREGUARD_INTERFACE } from "./hostNet";
import { WIREGUARD_PORT } from "../../common/ports";

export const WIREGUARD_DIR = "/etc/wireguard";
export const WIREGUARD_CONF_PATH = `${WIREGUARD_DIR}/${WIREGUARD_INTERFACE}.conf`;
export const WIREGUARD_KEY_PATH = `${WIREGUARD_DIR}/${WIREGUARD_INTERFACE}.key`;

export function renderWireguardConf(host: HostNet, peers: readonly MeshPeer[]): string {
    const lines = [
        `# ${WIREGUARD_INTERFACE} on ${host.name}, rendered by v6k8s. The private key stays in ${WIREGUARD_KEY_PATH} on this host.`,
        "[Interface]",
        // The /64 makes the whole cluster ULA reachable over the mesh; WireGuard then picks the peer
        // by AllowedIPs, so adding a peer needs no route change (Table = off).
        `Address = ${host.meshInterfaceAddress}`,
        `ListenPort = ${WIREGUARD_PORT}`,
        `MTU = ${MESH_MTU}`,
        "Table = off",
        `PostUp = wg set %i private-key ${WIREGUARD_KEY_PATH}`,
    ];
    for (const peer of [...peers].sort((a, b) => a.name.localeCompare(b.name))) {
        if (peer.name === host.name) continue;
        lines.push(
            "",
            "[Peer]",
            `# ${peer.name}`,
            `PublicKey = ${peer.publicKey}`,
            `AllowedIPs = ${peer.allowedIps}`,
            // Not hostPort(): offline, an hcloud peer's address is a placeholder (<hcloud-ipv6:name>).
            `Endpoint = [${peer.endpoint}]:${WIREGUARD_PORT}`,
        );
    }
    return `${lines.join("\n")}\n`;
}
