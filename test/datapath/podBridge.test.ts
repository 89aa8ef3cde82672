// The pod bridge as the network step makes it (its rendered lines, run by a real shell in a
// throwaway namespace), against the kernel's own bridge: its MAC must not follow its ports, and
// when it does change, its pods must hear of it at once.
import { strict as assert } from "assert";
import * as path from "path";
import { readStackFile } from "../../components/config/stackFile";
import { POD_BRIDGE } from "../../components/hosts/render/hostNet";
import { NETWORK_UP_PATH, podBridgeMac } from "../../components/hosts/render/scripts";
import { renderStack } from "../../components/offline";
import { Netns, requireDatapath } from "../support/netns";

const PROD = path.join(__dirname, "..", "..", "Pulumi.prod.yaml");
/** Lower than any 02:76:36:6b:… bridge MAC: a bridge that follows its ports would take it. */
const LOW_MAC = "02:00:00:00:00:01";

describe("pod bridge MAC on a real kernel bridge (root)", function () {
    const cp1 = renderStack(readStackFile(PROD)).find((h) => h.net.name === "cp1")!;
    // The network step's lines that make the bridge (sysctl -p, modprobe, nft and the conflist check
    // are the host's, not the bridge's).
    const bridgeLines = cp1.files
        .get(NETWORK_UP_PATH)!
        .content.split("\n")
        .filter((l) => !l.startsWith("#") && l.includes(POD_BRIDGE) && !l.startsWith("test "));
    const gateway = cp1.net.podUla.gateway;
    let host: Netns | undefined;
    const pods: Netns[] = [];

    const macOf = (ns: Netns, dev: string) => /link\/ether (\S+)/.exec(ns.exec(["ip", "-o", "link", "show", dev]))![1];
    /** A pod on the bridge: a veth whose host end has `hostMac`, the pod end an address in the pod /96. */
    function addPod(name: string, hostMac: string, address: string): Netns {
        const pod = new Netns(`v6t-${name}-${process.pid}`);
        pods.push(pod);
        host!.exec(["ip", "link", "add", `v-${name}`, "address", hostMac, "type", "veth", "peer", "name", "eth0", "netns", pod.name]);
        host!.exec(["ip", "link", "set", `v-${name}`, "master", POD_BRIDGE, "up"]);
        pod.exec(["ip", "link", "set", "eth0", "up"]);
        pod.exec(["ip", "-6", "addr", "add", `${address}/96`, "dev", "eth0", "nodad"]);
        pod.exec(["ip", "-6", "route", "add", "default", "via", gateway, "dev", "eth0"]);
        return pod;
    }
    /** The pod's neighbour entry for its gateway after a ping (the bridge's address may still be tentative: retried). */
    function gatewayMacSeenBy(pod: Netns): string {
        for (let i = 0; i < 20; i++) {
            try {
                pod.exec(["ping", "-6", "-c", "1", "-W", "1", gateway]);
                return /lladdr (\S+)/.exec(pod.exec(["ip", "-6", "neigh", "show", gateway, "dev", "eth0"]))![1];
            } catch {
                // DAD of the bridge's address
            }
        }
        throw new Error(`the pod never reached its gateway ${gateway}`);
    }
    const neighbourMac = (pod: Netns) => /lladdr (\S+)/.exec(pod.exec(["ip", "-6", "neigh", "show", gateway, "dev", "eth0"]))?.[1];

    before(function () {
        requireDatapath(this, []);
        host = new Netns(`v6t-brhost-${process.pid}`);
        host.exec(["bash", "-c", `set -euo pipefail\n${bridgeLines.join("\n")}`]);
    });

    after(() => {
        for (const p of pods) p.delete();
        host?.delete();
    });

    it("the network step's lines give the bridge the node's own MAC", () => {
        assert.ok(
            bridgeLines.some((l) => l.includes("address")),
            `no MAC in the bridge lines:\n${bridgeLines.join("\n")}`,
        );
        assert.equal(macOf(host!, POD_BRIDGE), podBridgeMac(1));
    });

    it("control: a bridge without its own MAC takes a lower port MAC (what the fixed MAC prevents)", () => {
        host!.exec(["ip", "link", "add", "br-plain", "type", "bridge"]);
        host!.exec(["ip", "link", "add", "v-plain", "address", LOW_MAC, "type", "veth", "peer", "name", "v-plain-peer"]);
        host!.exec(["ip", "link", "set", "v-plain", "master", "br-plain"]);
        assert.equal(macOf(host!, "br-plain"), LOW_MAC);
        host!.exec(["ip", "link", "del", "br-plain"]);
        host!.exec(["ip", "link", "del", "v-plain"]);
    });

    it("keeps its MAC while a pod with a lower MAC comes and goes; the other pods keep their gateway", () => {
        const stays = addPod("stays", "02:aa:00:00:00:02", `${gateway.replace(/:1$/, ":20")}`);
        assert.equal(gatewayMacSeenBy(stays), podBridgeMac(1));
        const passes = addPod("passes", LOW_MAC, `${gateway.replace(/:1$/, ":21")}`);
        assert.equal(macOf(host!, POD_BRIDGE), podBridgeMac(1), "a pod's arrival changed the bridge's MAC");
        host!.exec(["ip", "link", "del", "v-passes"]);
        assert.equal(macOf(host!, POD_BRIDGE), podBridgeMac(1), "a pod's departure changed the bridge's MAC");
        assert.equal(neighbourMac(stays), podBridgeMac(1));
        passes.delete();
    });

    it("when the MAC does change (a host set up before this), its pods learn the new one at once (ndisc_notify)", () => {
        const pod = addPod("learns", "02:aa:00:00:00:03", `${gateway.replace(/:1$/, ":22")}`);
        assert.equal(gatewayMacSeenBy(pod), podBridgeMac(1));
        const next = "02:76:36:6b:ff:fe";
        host!.exec(["ip", "link", "set", POD_BRIDGE, "address", next]);
        let seen: string | undefined;
        for (let i = 0; i < 10 && seen !== next; i++) {
            seen = neighbourMac(pod);
            if (seen !== next) host!.exec(["sleep", "0.1"]);
        }
        assert.equal(seen, next, "the pod still sends to the bridge's old MAC: no unsolicited neighbour advertisement");
        host!.exec(["ip", "link", "set", POD_BRIDGE, "address", podBridgeMac(1)]);
    });
});
