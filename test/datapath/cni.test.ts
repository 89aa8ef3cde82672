// The rendered CNI conflist, fed to Debian's real bridge/host-local/portmap/firewall plugins in
// throwaway namespaces. Only the glue differs from a node: host-local's state dir points at a temp
// dir, and the runtime's hostPort request is written by hand as containerd passes it.
import { strict as assert } from "assert";
import { spawn } from "child_process";
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
    const pluginConf = (type: string) => ({
        cniVersion: conflist.cniVersion,
        name: conflist.name,
        ...(conflist.plugins as { type: string }[]).find((p) => p.type === type)!,
    });
    const bridgeConf = pluginConf("bridge") as ReturnType<typeof pluginConf> & { ipam: object };

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
        requireDatapath(this, ["bridge", "host-local", "portmap", "firewall", "loopback"]);
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

    it("the chain is loopback, bridge, portmap (hostPorts), firewall", () => {
        assert.deepEqual(
            conflist.plugins.map((p: { type: string }) => p.type),
            ["loopback", "bridge", "portmap", "firewall"],
        );
        assert.deepEqual(pluginConf("portmap"), {
            cniVersion: "0.4.0",
            name: "cluster",
            type: "portmap",
            capabilities: { portMappings: true },
        });
    });

    it("portmap maps a hostPort on the node's own addresses to the pod's ULA: a connection to the node reaches the pod", async () => {
        const ula = result.ips[0].address.split("/")[0];
        const conf = {
            ...pluginConf("portmap"),
            // What containerd passes for a pod's `hostPort: 18080` on `containerPort: 8080`.
            runtimeConfig: { portMappings: [{ hostPort: 18080, containerPort: 8080, protocol: "tcp" }] },
            prevResult: result,
        };
        plugin(host!, "portmap", "ADD", conf);
        try {
            const nat = host!.exec(["ip6tables", "-t", "nat", "-S"]);
            assert.match(nat, new RegExp(`--dport 18080 -j DNAT --to-destination \\[${ula}\\]:8080`), nat);
            // A listener in the pod, a client on the node dialling the node's bridge address.
            const server = spawn(
                "ip",
                [
                    "netns",
                    "exec",
                    pod!.name,
                    process.execPath,
                    "-e",
                    "require('net').createServer((s) => s.end('from the pod')).listen(8080, '::')",
                ],
                { stdio: "ignore" },
            );
            try {
                const dial = `const s = require('net').connect(18080, process.argv[1]); let d = ''; s.on('data', (b) => (d += b)); s.on('end', () => console.log(d)); s.on('error', (e) => console.log(e.code)); setTimeout(() => process.exit(0), 500).unref()`;
                const bridgeAddress = "fd8a:31c2:7c1f:1:1:1:0:1";
                let got = "";
                // The listener and the pod's address (duplicate address detection) take a moment.
                for (let i = 0; i < 60 && got !== "from the pod"; i++) {
                    got = host!.exec([process.execPath, "-e", dial, bridgeAddress]).trim();
                    if (got !== "from the pod") await new Promise((r) => setTimeout(r, 200));
                }
                assert.equal(got, "from the pod");
            } finally {
                server.kill();
            }
        } finally {
            plugin(host!, "portmap", "DEL", conf);
        }
        assert.doesNotMatch(host!.exec(["ip6tables", "-t", "nat", "-S"]), /--dport 18080/, "DEL leaves the hostPort's rule behind");
    });

    it("the firewall plugin (iptables backend) accepts the chained result", () => {
        const firewallConf = { ...pluginConf("firewall"), prevResult: result };
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
