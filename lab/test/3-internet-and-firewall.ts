import { strict as assert } from "assert";
import { countAccepted } from "../checks/firewall";
import * as fs from "fs";
import * as path from "path";
import { INET6_NS, INET6_DNS, INET6_SERVER, STAND_IN_PORTS, UPLINK, WHOAMI_PORT } from "../config";
import { inNs } from "../netns";
import { run } from "../run";
import { tcpRequest, tcpRequestFrom, udpSend } from "../probes";
import { stopPid } from "../processes";
import { startWhoami } from "../servers";
import { lab, testPods } from "../session";
import { WIREGUARD_PORT } from "../../components/common/ports";
import { UPLINK_SYSCTL_PATH } from "../../components/hosts/render/scripts";

const internet = { ns: INET6_NS };
/** A port no host firewall opens: what a workload in a pod might listen on. */
const POD_LISTEN_PORT = 8080;
const CLOSED = { etcd: STAND_IN_PORTS.etcd, kubelet: STAND_IN_PORTS.kubelet, apiserver: STAND_IN_PORTS.apiserver };

describe("3. the IPv6 internet: pods reach it from their GUA; it reaches only SSH (from sshPrefixes) and WireGuard on hosts", () => {
    it("every pod reaches the IPv6 internet, which sees the pod's GUA as the source", async () => {
        const results = await Promise.all(
            testPods().map(async (p) => ({ p, r: await tcpRequest({ ns: p.ns }, INET6_SERVER, WHOAMI_PORT) })),
        );
        for (const { p, r } of results) {
            assert.equal(
                r.reply,
                p.gua,
                `pod ${p.host}/${p.name}: the internet server saw ${r.reply ?? `nothing (${r.error})`}, expected the pod's GUA ${p.gua}`,
            );
        }
    });

    it("a host whose uplink takes its default route from router advertisements (a real radvd) keeps it through the network step", async () => {
        const host = lab().hosts.find((h) => h.uplinkByRouterAdvertisements);
        assert.ok(host, "no lab host is configured by router advertisements");
        const inHost = async (argv: string[]) => (await run(inNs(host.ns, argv))).stdout.trim();
        // Forwarding is on (the network step ran), and the route learned from radvd is still there.
        assert.equal(await inHost(["sysctl", "-n", "net.ipv6.conf.all.forwarding"]), "1");
        assert.match(await inHost(["ip", "-6", "route", "show", "default"]), new RegExp(`^default via fe80::\\S+ dev ${UPLINK} proto ra `));
        // Because the step set accept_ra=2 on the uplink first, and kept it for the next boot.
        assert.equal(await inHost(["cat", `/proc/sys/net/ipv6/conf/${UPLINK}/accept_ra`]), "2");
        const kept = fs.readFileSync(path.join(host.root, UPLINK_SYSCTL_PATH), "utf8");
        assert.match(kept, new RegExp(`^net/ipv6/conf/${UPLINK}/accept_ra = 2$`, "m"));
    });

    it("the internet cannot open etcd (2379), kubelet (10250) or the apiserver (6443) on any host GUA, though they listen", async () => {
        const hosts = lab().hosts;
        const probes = hosts.flatMap((h) => Object.entries(CLOSED).map(([what, port]) => ({ h, what, port })));
        const results = await Promise.all(
            probes.map(async (x) => {
                const peer = hosts.find((o) => o !== x.h)!;
                return {
                    ...x,
                    fromInternet: await tcpRequest(internet, x.h.publicAddress, x.port, 2),
                    overMesh: await tcpRequest({ ns: peer.ns }, x.h.wireguardAddress, x.port, 3),
                };
            }),
        );
        for (const r of results) {
            assert.notEqual(
                r.overMesh.reply,
                null,
                `${r.what} on ${r.h.name} is not listening (even the mesh cannot reach it), so the probe proves nothing: ${r.overMesh.error}`,
            );
            assert.equal(
                r.fromInternet.reply,
                null,
                `the IPv6 internet opened ${r.what} (${r.port}) on ${r.h.name} at ${r.h.publicAddress}`,
            );
            assert.equal(
                r.fromInternet.error,
                "timed out",
                `${r.what} on ${r.h.name} should be dropped silently, got: ${r.fromInternet.error}`,
            );
        }
    });

    it("the internet reaches SSH (22) on every host GUA from cluster.sshPrefixes only", async () => {
        for (const h of lab().hosts) {
            const allowed = await tcpRequestFrom(internet, INET6_SERVER, h.publicAddress, STAND_IN_PORTS.ssh);
            assert.equal(
                allowed.reply,
                INET6_SERVER,
                `SSH on ${h.name} at ${h.publicAddress} from ${INET6_SERVER} (in sshPrefixes): ${allowed.reply ?? allowed.error}`,
            );
            const other = await tcpRequestFrom(internet, INET6_DNS, h.publicAddress, STAND_IN_PORTS.ssh, 2);
            assert.equal(other.reply, null, `SSH on ${h.name} answered ${INET6_DNS}, which is not in sshPrefixes`);
            assert.equal(other.error, "timed out", `SSH from outside sshPrefixes should be dropped silently, got: ${other.error}`);
        }
    });

    it("the internet cannot open a port on a pod's GUA, while pods on other hosts reach it over the ULA", async () => {
        const [pod, other] = testPods();
        const listener = await startWhoami(`${pod.host}-${pod.name}-listener`, pod.ns, [`[::]:${POD_LISTEN_PORT}`]);
        try {
            const fromInternet = await tcpRequest(internet, pod.gua, POD_LISTEN_PORT, 2);
            const overMesh = await tcpRequest({ ns: other.ns }, pod.ula, POD_LISTEN_PORT, 3);
            assert.notEqual(
                overMesh.reply,
                null,
                `the pod listener on ${pod.host} is not reachable over the mesh, so the probe proves nothing: ${overMesh.error}`,
            );
            assert.equal(
                fromInternet.reply,
                null,
                `the IPv6 internet opened port ${POD_LISTEN_PORT} on pod ${pod.name} at its GUA ${pod.gua}`,
            );
            assert.equal(
                fromInternet.error,
                "timed out",
                `a new connection to a pod's GUA should be dropped silently, got: ${fromInternet.error}`,
            );
        } finally {
            stopPid(listener);
        }
    });

    it(`the internet reaches WireGuard (udp ${WIREGUARD_PORT}) on every host GUA: the host firewall accepts it`, async () => {
        for (const h of lab().hosts) {
            const [wg, etcd] = await countAccepted(
                h,
                "2001:db8:ffff::/64",
                [`udp dport ${WIREGUARD_PORT}`, `tcp dport ${STAND_IN_PORTS.etcd}`],
                async () => {
                    await udpSend(internet, h.publicAddress, WIREGUARD_PORT);
                    await tcpRequest(internet, h.publicAddress, STAND_IN_PORTS.etcd, 1);
                },
            );
            assert.ok(wg >= 1, `the host firewall of ${h.name} did not accept a datagram to udp ${WIREGUARD_PORT} from the internet`);
            assert.equal(etcd, 0, `control: a packet to etcd passed ${h.name}'s firewall, so the probe chain does not sit after it`);
        }
    });
});
