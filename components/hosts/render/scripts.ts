// Shell scripts that land on a host. Each is safe to run any number of times: it converges the
// host to the rendered state and changes nothing when it is already there.
import { CNI_CONFLIST_PATH } from "./cni";
import { HostNet, MESH_MTU, POD_BRIDGE, WIREGUARD_INTERFACE } from "./hostNet";
import { FIREWALL_PATH } from "./nftables";
import { SYSCTL_PATH } from "./sysctl";
import { WIREGUARD_CONF_PATH, WIREGUARD_DIR, WIREGUARD_KEY_PATH } from "./wireguard";

export const SCRIPT_DIR = "/usr/local/lib/v6k8s";
export const INSTALL_PACKAGES_PATH = `${SCRIPT_DIR}/install-packages.sh`;
export const NETWORK_UP_PATH = `${SCRIPT_DIR}/network-up.sh`;
export const WIREGUARD_KEY_SCRIPT_PATH = `${SCRIPT_DIR}/wireguard-key.sh`;
export const MESH_UP_PATH = `${SCRIPT_DIR}/mesh-up.sh`;
export const NETWORK_UNIT_PATH = "/etc/systemd/system/v6k8s-network.service";

/**
 * Debian packages of node networking; containernetworking-plugins puts the CNI plugins in
 * /usr/lib/cni. curl and ca-certificates: install-binaries.sh downloads the releases over HTTPS and
 * the start steps poll health endpoints (a minimal image may lack both).
 */
export const NODE_PACKAGES = [
    "wireguard-tools",
    "nftables",
    "iptables",
    "iproute2",
    "containernetworking-plugins",
    "curl",
    "ca-certificates",
] as const;

const HEADER = "#!/bin/bash\n# Rendered by v6k8s.";

/** How long apt waits for its lock: on a new cloud server cloud-init and unattended-upgrades hold it for minutes. */
export const APT_LOCK_TIMEOUT_SECONDS = 600;
/** apt-get that waits for the dpkg lock instead of failing at once. */
export const APT_GET = `apt-get -o DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT_SECONDS}`;
/**
 * Waits until cloud-init has finished (it runs apt itself on a new hcloud server); a no-op where
 * cloud-init is absent (Robot). Its own failure is not ours: apt below reports what matters.
 */
export const WAIT_FOR_CLOUD_INIT = "if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null || true; fi";

/**
 * `apt_install PACKAGE...` (bash or sh): the packages not yet installed, after cloud-init's own apt
 * run. A dpkg run that was cut off (a power loss, a killed step) leaves its journal in
 * `<admindir>/updates`, and apt then refuses every install ("dpkg was interrupted, you must
 * manually run 'dpkg --configure -a'"): finish it first, waiting for the lock like apt does.
 * DPKG_ADMINDIR is dpkg's own variable (unset on a host: /var/lib/dpkg).
 */
export const APT_INSTALL_FUNCTION = `apt_install() {
    _missing=""
    for _p in "$@"; do
        dpkg-query -W -f='\${Status}' "$_p" 2>/dev/null | grep -q "install ok installed" || _missing="$_missing $_p"
    done
    [ -n "$_missing" ] || return 0
    ${WAIT_FOR_CLOUD_INIT}
    export DEBIAN_FRONTEND=noninteractive
    if [ -n "$(ls -A "\${DPKG_ADMINDIR:-/var/lib/dpkg}/updates" 2>/dev/null)" ] || [ -n "$(dpkg --audit 2>/dev/null)" ]; then
        echo "v6k8s: an interrupted dpkg run is left on this host: dpkg --configure -a" >&2
        _tries=0
        until _out=$(dpkg --force-confdef --force-confold --configure -a 2>&1); do
            _tries=$((_tries + 1))
            case "$_out" in
            *lock*) [ "$_tries" -lt ${APT_LOCK_TIMEOUT_SECONDS / 5} ] || { echo "$_out" >&2; return 1; }; sleep 5 ;;
            *) echo "$_out" >&2; return 1 ;;
            esac
        done
    fi
    ${APT_GET} update -q
    # shellcheck disable=SC2086 # one word per package
    ${APT_GET} install -y -q --no-install-recommends $_missing
}`;

export function renderInstallPackages(): string {
    return `${HEADER} Installs node networking packages; a no-op when all are present.
set -euo pipefail
${APT_INSTALL_FUNCTION}
apt_install ${NODE_PACKAGES.join(" ")}
`;
}

/**
 * The pod bridge's MAC: locally administered unicast (02:...), "v6k" and the node index, so a
 * capture says whose bridge it is. Each bridge is its own segment, never on the uplink.
 */
export function podBridgeMac(index: number): string {
    if (!Number.isInteger(index) || index < 1 || index > 0xffff) throw new RangeError(`node index ${index} is not 1..65535`);
    const hex = index.toString(16).padStart(4, "0");
    return `02:76:36:6b:${hex.slice(0, 2)}:${hex.slice(2)}`;
}

/** Where network-up.sh keeps accept_ra=2 for the uplinks it found, for the next boot. */
export const UPLINK_SYSCTL_PATH = "/etc/sysctl.d/89-v6k8s-uplink.conf";

/**
 * Shell (bash): finds the uplinks (where default IPv6 routes leave; waits up to 30 s for one, as
 * at boot before the first router advertisement) and sets accept_ra=2 on each that accepts router
 * advertisements, before forwarding is turned on. Turning forwarding on makes the kernel delete
 * the default routes it learned from router advertisements, and ignore new ones, on every
 * interface whose accept_ra is 1 (`rt6_purge_dflt_routers`): a host whose uplink is configured by
 * RAs would lose its only way in halfway through the step. accept_ra=2 accepts them while
 * forwarding. An uplink with accept_ra=0 (static, as Hetzner's installimage writes it) is left
 * alone. The setting is kept in `sysctlFile` for the next boot, where forwarding is on before the
 * network is: udev applies an interface's sysctl.d keys as the interface appears.
 */
export function renderKeepUplinkRoutes(sysctlFile: string): string {
    return `uplinks=""
for _ in $(seq 30); do
    uplinks=$(ip -6 route show default | grep -o ' dev [^ ]*' | cut -d' ' -f3 | sort -u | tr '\\n' ' ')
    if [ -n "$uplinks" ]; then break; fi
    sleep 1
done
if [ -z "$uplinks" ]; then
    echo "v6k8s: this host has no default IPv6 route (after 30 s): the mesh and every download need one on the uplink" >&2
    exit 1
fi
keep=""
for dev in $uplinks; do
    ra=/proc/sys/net/ipv6/conf/$dev/accept_ra
    if [ "$(cat "$ra")" = 1 ]; then echo 2 > "$ra"; fi
    if [ "$(cat "$ra")" = 2 ]; then keep="$keep"$'\\n'"net/ipv6/conf/$dev/accept_ra = 2"; fi
done
if [ -n "$keep" ]; then
    want="# Rendered by v6k8s network-up.sh: the uplinks keep accepting router advertisements with forwarding on.$keep"
    if [ "$(cat ${sysctlFile} 2>/dev/null)" != "$want" ]; then
        printf '%s\\n' "$want" > ${sysctlFile}.new
        mv -f ${sysctlFile}.new ${sysctlFile}
    fi
else
    rm -f ${sysctlFile}
fi`;
}

/** Shell: fails, naming the uplinks, if forwarding took the host's default IPv6 route away. */
export const VERIFY_DEFAULT_ROUTE = `if [ -z "$(ip -6 route show default)" ]; then
    echo "v6k8s: the default IPv6 route is gone since forwarding is on (uplinks: $uplinks); a route learned from router advertisements needs accept_ra=2 on its interface" >&2
    exit 1
fi`;

export function renderNetworkUp(host: HostNet): string {
    return `${HEADER} Node networking of ${host.name}: sysctls, the pod bridge, the host firewall.
set -euo pipefail
modprobe br_netfilter
# Before forwarding goes on: the uplinks keep the default routes router advertisements give them.
${renderKeepUplinkRoutes(UPLINK_SYSCTL_PATH)}
sysctl -q -p ${SYSCTL_PATH}
${VERIFY_DEFAULT_ROUTE}
# The CNI bridge plugin would create ${POD_BRIDGE} with the first pod; creating it here gives the
# host its pod routes (${host.podUla.subnet}, ${host.podGua.subnet}) before any pod exists.
ip link show ${POD_BRIDGE} >/dev/null 2>&1 || ip link add ${POD_BRIDGE} type bridge
# A MAC of its own: a bridge without one takes the lowest MAC of its ports, so it changes as pods
# come and go, and every pod's neighbour entry for its gateway points at a MAC that is gone until
# the pod's NUD notices (the lab saw 7-33 s without DNS from a CoreDNS pod whose neighbour left).
# ndisc_notify first: when the address does change (once, on a host set up before this), the
# bridge tells its pods at once with an unsolicited neighbour advertisement.
sysctl -q -w net.ipv6.conf.${POD_BRIDGE}.ndisc_notify=1
ip link set ${POD_BRIDGE} address ${podBridgeMac(host.index)}
ip link set ${POD_BRIDGE} mtu ${MESH_MTU} up
ip -6 addr replace ${host.podUla.gateway}/96 dev ${POD_BRIDGE}
ip -6 addr replace ${host.podGua.gateway}/96 dev ${POD_BRIDGE}
test -s ${CNI_CONFLIST_PATH}
nft -f ${FIREWALL_PATH}
`;
}

/** Prints the public key only; the private key is created here once and never leaves the host. */
export function renderWireguardKey(): string {
    return `${HEADER} Creates this host's WireGuard key once and prints its public key.
set -euo pipefail
umask 077
mkdir -p ${WIREGUARD_DIR}
if [ ! -s ${WIREGUARD_KEY_PATH} ]; then
    wg genkey > ${WIREGUARD_KEY_PATH}.new
    mv ${WIREGUARD_KEY_PATH}.new ${WIREGUARD_KEY_PATH}
fi
wg pubkey < ${WIREGUARD_KEY_PATH}
`;
}

export function renderMeshUp(host: HostNet): string {
    const iface = WIREGUARD_INTERFACE;
    return `${HEADER} Brings up or updates the mesh on ${host.name}.
# An existing interface is updated in place (wg syncconf): added peers appear, removed ones go,
# unchanged peers keep their sessions. Nothing restarts.
set -euo pipefail
if ip link show ${iface} >/dev/null 2>&1; then
    # wg0.conf has no PrivateKey (it stays in the key file): syncconf would remove the key, so
    # it gets it on the way in, read by awk from the file (never on a command line).
    wg syncconf ${iface} <(wg-quick strip ${WIREGUARD_CONF_PATH} | awk -v key=${WIREGUARD_KEY_PATH} '{ print } /^\\[Interface\\]/ { getline k < key; print "PrivateKey = " k }')
    ip link set ${iface} mtu ${MESH_MTU} up
    ip -6 addr replace ${host.meshInterfaceAddress} dev ${iface}
else
    wg-quick up ${WIREGUARD_CONF_PATH}
fi
`;
}

export function renderNetworkUnit(): string {
    return `# Rendered by v6k8s: node networking at boot, before the container runtime and the kubelet.
[Unit]
Description=v6k8s node networking (sysctls, pod bridge, host firewall)
After=network-online.target
Wants=network-online.target
Before=containerd.service kubelet.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${NETWORK_UP_PATH}

[Install]
WantedBy=multi-user.target
`;
}
