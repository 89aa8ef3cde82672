// The ports every layer refers to: the host firewall opens them, the config rejects a public
// service that would take one, the renderers bind or dial them. Defined here, below every concern,
// so config/ needs nothing from hosts/ or controlplane/ to check a port.

/** SSH, which the program itself uses to reach every host (open to cluster.sshPrefixes). */
export const SSH_PORT = 22;
/** The WireGuard mesh, UDP on every host's public address. */
export const WIREGUARD_PORT = 51820;
/** Every apiserver listens here on all addresses. */
export const APISERVER_PORT = 6443;
/** The kubelet's default serving port (not set by v6k8s): the apiserver dials it over the mesh. */
export const KUBELET_PORT = 10250;
/** etcd's client and peer ports (control-plane hosts), on the mesh and [::1]. */
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
/** The node-local apiserver proxy, `[::1]:7445` (Talos KubePrism uses the same port). */
export const APISERVER_PROXY_PORT = 7445;
/** The apiserver's default `--service-node-port-range` (not set by v6k8s): where NodePorts come from. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;
