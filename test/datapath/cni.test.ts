// The rendered CNI conflist, fed to Debian's real bridge/host-local/firewall plugins in throwaway
// namespaces. Only the glue differs from a node: host-local's state dir points at a temp dir.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackFile } from "../../components/config/stackFile";
import { MESH_MTU } from "../../components/hosts/render/hostNet";
import { renderStack } from "../../components/offline";
import { Prefix, parseV6Address } from "../../components/network/prefix";
import { CNI_BIN, Netns, requireDatapath } from "../support/netns";

const PROD = path.join(__dirname, "..", "..", "Pulumi.prod.yaml");

interface CniResult {
    ips: { address: string; gateway?: string }[];
    interfaces: { name: string; sandbox?: string }[];
}

describe("CNI conflist on the real plugins (root, containernetworking-plugins)", function () {
    let host: Netns | undefined;
    let pod: Netns | undefined;
    let dataDir: string;
    const conflist = JSON.parse(
        renderStack(readStackFile(PROD))
            .find((h) => h.net.name === "cp1")!
            .files.get("/etc/cni/net.d/10-cluster.conflist")!.content,
    );
    const bridgeConf = { cniVersion: conflist.cniVersion, name: conflist.name, ...conflist.plugins[1] };

    function plugin(ns: Netns, type: string, command: "ADD" | "DEL", conf: object): string {
        return ns.exec([`${CNI_BIN}/${type}`], {
            input: JSON.stringify(conf),
            env: {
                ...process.env,
                CNI_COMMAND: command,
                CNI_CONTAINERID: `v6t-${process.pid}`,
                CNI_NETNS: pod!.path,
                CNI_IFNAME: "eth0",
                CNI_PATH: CNI_BIN,
            },
        });
    }

    before(function () {
        requireDatapath(this, ["bridge", "host-local", "firewall", "loopback"]);
        host = new Netns(`v6t-cnihost-${process.pid}`);
        pod = new Netns(`v6t-cnipod-${process.pid}`);
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-cni-"));
        bridgeConf.ipam = { ...bridgeConf.ipam, dataDir };
    });

    after(() => {
        pod?.delete();
        host?.delete();
    });

    let result: CniResult;

    it("bridge + host-local give the pod a ULA address first, then a GUA address, from the ...:1::10 ranges", () => {
        result = JSON.parse(plugin(host!, "bridge", "ADD", bridgeConf));
        const [ula, gua] = result.ips.map((ip) => ip.address);
        const podUla = Prefix.parse("fd8a:31c2:7c1f:1:1:1::/96");
        const podGua = Prefix.parse("2001:db8:10a:1f2e:0:1::/96");
        const [ulaAddr, ulaLen] = ula.split("/");
        const [guaAddr, guaLen] = gua.split("/");
        assert.ok(podUla.containsAddress(parseV6Address(ulaAddr)) && ulaLen === "96", `first address ${ula} is not in ${podUla}`);
        assert.ok(podGua.containsAddress(parseV6Address(guaAddr)) && guaLen === "96", `second address ${gua} is not in ${podGua}`);
        assert.ok(parseV6Address(ulaAddr) >= podUla.address(0x10), `${ula} is below rangeStart`);
        assert.equal(parseV6Address(result.ips[0].gateway!), podUla.address(1), "gateway is the first address");
    });

    it("the pod's eth0 carries both addresses and the mesh MTU; the host bridge is the gateway", () => {
        const eth0 = pod!.exec(["ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global"]);
        for (const ip of result.ips) assert.ok(eth0.includes(ip.address), `eth0 lacks ${ip.address}:\n${eth0}`);
        assert.match(pod!.exec(["ip", "-o", "link", "show", "eth0"]), new RegExp(`mtu ${MESH_MTU} `));
        // iproute2 prints RFC 5952 too: a single zero hextet is written out, not "::".
        assert.match(host!.exec(["ip", "-6", "-o", "addr", "show", "dev", "cluster0"]), /inet6 fd8a:31c2:7c1f:1:1:1:0:1\/96 /);
        assert.match(pod!.exec(["ip", "-6", "route", "show", "default"]), /via fd8a:31c2:7c1f:1:1:1:0:1 dev eth0/);
    });

    it("the firewall plugin (iptables backend) accepts the chained result", () => {
        const firewallConf = { cniVersion: conflist.cniVersion, name: conflist.name, ...conflist.plugins[2], prevResult: result };
        plugin(host!, "firewall", "ADD", firewallConf);
        assert.match(host!.exec(["ip6tables", "-S", "CNI-FORWARD"]), /CNI-FORWARD/);
        plugin(host!, "firewall", "DEL", firewallConf);
    });

    it("DEL releases the addresses", () => {
        plugin(host!, "bridge", "DEL", bridgeConf);
        const leased = fs.readdirSync(path.join(dataDir, conflist.name)).filter((f) => f.includes(":"));
        assert.deepEqual(leased, []);
    });
});
