// The rendered NAT64 gateway on the real thing, in throwaway network namespaces (root): Tayga with
// nat64-up.sh, the inbound DNAT script, unbound with the DNS64 resolver config (the DNS64 test
// skips, loudly, without unbound; V6K8S_REQUIRE_GATEWAY_DATAPATH=1 makes any gap a failure). Only the paths the
// files name on a host are moved into a temp dir, and Tayga's pool is TEST-NET-2 (the lab's rule:
// documentation and ULA addresses only). Three namespaces:
//   c4  the internet: an IPv4 client and an IPv4-only server (203.0.113.20, 192.0.2.10), and the
//       upstream DNS resolver (2001:db8:10a:1f2e::53)
//   gw  the gateway host: uplink 203.0.113.10 + 2001:db8:10a:1f2e::2, mesh fd8a:31c2:7c1f:1:1::1
//   h6  an IPv6-only host on the mesh (fd8a:31c2:7c1f:1:c::1)
import { strict as assert } from "assert";
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gatewayFiles } from "../../components/nat64/render/gatewayFiles";
import { DNS64_RESOLVER_CONF_PATH } from "../../components/nat64/render/hostDns";
import { INBOUND_CHAIN, NAT64_INBOUND_PATH, renderNat64Inbound } from "../../components/nat64/render/inbound";
import { gateways, inboundIpv4Ports } from "../../components/addons/render/plan";
import { NAT64_UP_PATH } from "../../components/nat64/render/nat64Up";
import { TAYGA_CONF_PATH, TAYGA_DATA_DIR } from "../../components/nat64/render/tayga";
import { parseV6Address } from "../../components/network/prefix";
import { planStack } from "../../components/config/stackPlan";
import { Netns } from "../support/netns";
import { prodConfig } from "./support";

const POOL = { ipv4Address: "198.51.100.1", dynamicPool: "198.51.100.0/24" };
const GW_V4 = "203.0.113.10";
const GW_V6 = "2001:db8:10a:1f2e::2";
const CLIENT_V4 = "203.0.113.20";
const SERVER_V4 = "192.0.2.10";
/** Where hcloud's metadata service answers; here a server on the IPv4 side, as on hcloud. */
const METADATA_V4 = "169.254.169.254";
const UPSTREAM_DNS = "2001:db8:10a:1f2e::53";
const HOST_V6 = "fd8a:31c2:7c1f:1:c::1";
const REAL_AAAA = "2001:db8:ffff::10";

function unboundBinary(): string | undefined {
    const candidates = [process.env.V6K8S_UNBOUND_BIN, "/usr/sbin/unbound"].filter((c): c is string => !!c);
    return candidates.find((c) => fs.existsSync(c));
}

function missing(): string | undefined {
    if (process.getuid?.() !== 0) return "needs root (network namespaces)";
    for (const tool of ["tayga", "iptables", "iptables-restore"]) {
        if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is missing (apt-get install tayga iptables)`;
    }
    return undefined;
}

const NO_UNBOUND = "unbound is missing (apt-get install unbound, or V6K8S_UNBOUND_BIN=<path>)";

/** Skips a DNS64 test, loudly, when unbound is not at hand (the NAT64 tests still ran). */
function requireUnbound(ctx: Mocha.Context): void {
    if (unboundBinary()) return;
    if (process.env.V6K8S_REQUIRE_GATEWAY_DATAPATH === "1") throw new Error(`gateway datapath test cannot run: ${NO_UNBOUND}`);
    console.warn(`\n  !!! SKIPPED DNS64 resolver datapath test: ${NO_UNBOUND} !!!\n`);
    ctx.skip();
}

/** A node one-liner in a namespace; resolves with its first stdout line once it prints one. */
function nodeIn(ns: Netns, script: string, processes: ChildProcess[]): Promise<string> {
    const child = spawn("ip", ["netns", "exec", ns.name, process.execPath, "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    processes.push(child);
    return new Promise((resolve, reject) => {
        let out = "";
        let err = "";
        const timer = setTimeout(() => reject(new Error(`no output from ${ns.name} within 15s: ${err}`)), 15_000);
        child.stdout!.on("data", (d) => {
            out += d;
            if (out.includes("\n")) {
                clearTimeout(timer);
                resolve(out.split("\n")[0]);
            }
        });
        child.stderr!.on("data", (d) => (err += d));
        // "close", not "exit": exit can come before the last output was read.
        child.on("close", (code) => {
            clearTimeout(timer);
            if (!out.includes("\n")) reject(new Error(`${ns.name}: exited ${code}: ${err}`));
        });
    });
}

const echoServer = (host: string, port: number) =>
    `require("net").createServer((s) => s.end(s.remoteAddress + "\\n")).listen(${port}, ${JSON.stringify(host)}, () => console.log("ready"))`;
const connect = (host: string, port: number) =>
    `const s = require("net").connect({ host: ${JSON.stringify(host)}, port: ${port}, timeout: 5000 });
     let d = ""; s.on("data", (x) => d += x); s.on("end", () => console.log(d.trim()));
     s.on("error", (e) => console.log("error " + e.code)); s.on("timeout", () => { console.log("error timeout"); s.destroy(); });`;
const resolve6 = (server: string, name: string) =>
    `const r = new (require("dns").promises.Resolver)({ timeout: 2000, tries: 3 }); r.setServers(["[${server}]:53"]);
     r.resolve6(${JSON.stringify(name)}).then((a) => console.log(a.join(",")), (e) => console.log("error " + e.code));`;

describe("NAT64 gateway datapath: Tayga, inbound DNAT and the DNS64 resolver for real (root)", function () {
    this.timeout(120_000);
    const config = prodConfig();
    const gw = gateways(planStack(config))[0];
    const ports = inboundIpv4Ports(config, gw.name);
    const files = gatewayFiles({
        gateway: { name: gw.name, nat64: gw.nat64 },
        inbound: { publicIpv4: GW_V4, publicIpv6: GW_V6, ports },
        resolver: { name: gw.name, listen: gw.meshAddress, clients: config.cluster.ulaPrefix, nat64: gw.nat64, upstreams: [UPSTREAM_DNS] },
        pool: POOL,
    });
    const processes: ChildProcess[] = [];
    const nss: Netns[] = [];
    let dir = "";
    let c4: Netns, gwNs: Netns, h6: Netns;

    /** A rendered file with host paths moved under the temp dir. */
    const local = (p: string) =>
        files.get(p)!.content.split(TAYGA_CONF_PATH).join(path.join(dir, "tayga.conf")).split(TAYGA_DATA_DIR).join(path.join(dir, "tayga"));
    const sh = (ns: Netns, script: string) => ns.exec(["bash", "-c", script]);

    before(async function () {
        const why = missing();
        if (why) {
            if (process.env.V6K8S_REQUIRE_GATEWAY_DATAPATH === "1") throw new Error(`gateway datapath test cannot run: ${why}`);
            console.warn(`\n  !!! SKIPPED gateway datapath test: ${why} !!!\n`);
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-gw-"));
        c4 = new Netns(`v6t-c4-${process.pid}`);
        gwNs = new Netns(`v6t-gw-${process.pid}`);
        h6 = new Netns(`v6t-h6-${process.pid}`);
        nss.push(c4, gwNs, h6);
        execFileSync("ip", ["-n", gwNs.name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", c4.name]);
        execFileSync("ip", ["-n", gwNs.name, "link", "add", "mesh0", "type", "veth", "peer", "name", "eth0", "netns", h6.name]);
        sh(
            c4,
            `ip link set eth0 up
            ip addr add ${CLIENT_V4}/24 dev eth0 && ip addr add ${SERVER_V4}/32 dev eth0 && ip addr add ${METADATA_V4}/32 dev eth0
            ip -6 addr add ${UPSTREAM_DNS}/64 dev eth0 nodad`,
        );
        sh(
            gwNs,
            `ip link set eth0 up && ip link set mesh0 up
            ip addr add ${GW_V4}/24 dev eth0 && ip route add default via ${CLIENT_V4}
            ip -6 addr add ${GW_V6}/64 dev eth0 nodad
            ip -6 addr add ${gw.meshAddress}/64 dev mesh0 nodad
            sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1`,
        );
        // The mesh carries the gateway's /80 (and so its NAT64 /96) to it, as WireGuard's AllowedIPs do.
        sh(
            h6,
            `ip link set eth0 up && ip -6 addr add ${HOST_V6}/64 dev eth0 nodad
            ip -6 route add fd8a:31c2:7c1f:1:1::/80 via ${gw.meshAddress}`,
        );

        fs.writeFileSync(path.join(dir, "tayga.conf"), local(TAYGA_CONF_PATH));
        fs.writeFileSync(path.join(dir, "nat64-up.sh"), local(NAT64_UP_PATH));
        fs.writeFileSync(path.join(dir, "nat64-inbound.sh"), local(NAT64_INBOUND_PATH));
        fs.writeFileSync(
            path.join(dir, "unbound.conf"),
            files
                .get(DNS64_RESOLVER_CONF_PATH)!
                .content.replace('directory: "/etc/unbound"', `directory: "${dir}"`)
                .replace('username: "unbound"', 'username: ""'),
        );

        // What v6k8s-nat64.service does: nat64-up.sh, Tayga, then (drop-in) nat64-inbound.sh.
        sh(gwNs, `bash ${path.join(dir, "nat64-up.sh")}`);
        const tayga = spawn("ip", ["netns", "exec", gwNs.name, "tayga", "--nodetach", "--config", path.join(dir, "tayga.conf")], {
            stdio: "ignore",
        });
        processes.push(tayga);
        sh(gwNs, `bash ${path.join(dir, "nat64-inbound.sh")}`);
        const unbound = unboundBinary();
        if (unbound)
            processes.push(
                spawn("ip", ["netns", "exec", gwNs.name, unbound, "-d", "-p", "-c", path.join(dir, "unbound.conf")], { stdio: "ignore" }),
            );

        await Promise.all([
            nodeIn(gwNs, echoServer(GW_V6, 80), processes),
            nodeIn(c4, echoServer(SERVER_V4, 80), processes),
            nodeIn(c4, echoServer(METADATA_V4, 80), processes),
            new Promise<void>((resolve, reject) => {
                const dns = spawn(
                    "ip",
                    [
                        "netns",
                        "exec",
                        c4.name,
                        process.execPath,
                        "-r",
                        "ts-node/register/transpile-only",
                        path.join(__dirname, "miniDns.ts"),
                        UPSTREAM_DNS,
                        "example.org",
                        JSON.stringify({ "v4only.example.org": { A: SERVER_V4 }, "dual.example.org": { A: SERVER_V4, AAAA: REAL_AAAA } }),
                    ],
                    { stdio: ["ignore", "pipe", "inherit"], cwd: path.join(__dirname, "..", "..") },
                );
                processes.push(dns);
                dns.stdout!.once("data", () => resolve());
                dns.on("exit", (code) => reject(new Error(`miniDns exited ${code}`)));
            }),
        ]);
    });

    after(() => {
        for (const p of processes) if (p.exitCode === null && p.pid) p.kill("SIGTERM");
        for (const ns of nss.reverse()) ns.delete();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("inbound: an IPv4 client reaches the host's IPv6 service on a forwarded port, seen as <nat64 /96>::<its ipv4>", async () => {
        assert.deepEqual(ports, [{ port: 80, protocol: "TCP" }], "the example service's port");
        const seen = await nodeIn(c4, connect(GW_V4, 80), processes);
        assert.ok(!seen.startsWith("error"), `connection failed: ${seen}`);
        assert.equal(parseV6Address(seen), parseV6Address("fd8a:31c2:7c1f:1:1:64:cb00:7114"), `the server saw ${seen}`);
    });

    it("inbound: a port that is not forwarded stays closed", async () => {
        assert.equal(await nodeIn(c4, connect(GW_V4, 81), processes), "error ECONNREFUSED");
    });

    it("DNS64: the gateway's resolver synthesises <nat64 /96>::<ipv4> for an A-only name and passes real AAAA records", async function () {
        requireUnbound(this);
        let answer = "";
        for (let i = 0; i < 20 && !/^fd8a/.test(answer); i++) {
            answer = await nodeIn(h6, resolve6(gw.meshAddress, "v4only.example.org"), processes);
            if (!/^fd8a/.test(answer)) await new Promise((r) => setTimeout(r, 500));
        }
        assert.equal(parseV6Address(answer), parseV6Address("fd8a:31c2:7c1f:1:1:64:c000:20a"), `got ${answer}`);
        assert.equal(await nodeIn(h6, resolve6(gw.meshAddress, "dual.example.org"), processes), REAL_AAAA);
    });

    it("outbound: the IPv6-only host connects to <nat64 /96>::<ipv4>; the IPv4 server sees the gateway's address", async () => {
        assert.equal(await nodeIn(h6, connect("fd8a:31c2:7c1f:1:1:64:c000:20a", 80), processes), GW_V4);
    });

    // hcloud serves a server's user data (its SSH host private key) at 169.254.169.254. Tayga itself
    // refuses to translate to link-local IPv4 (an ICMP network unreachable), so no rule of ours is
    // needed; this guards that a translator change cannot open it.
    it("outbound: link-local IPv4 (the cloud's metadata service) is refused through NAT64, though the gateway itself reaches it", async () => {
        assert.equal(await nodeIn(gwNs, connect(METADATA_V4, 80), processes), GW_V4, "the server answers the gateway directly");
        assert.equal(await nodeIn(h6, connect("fd8a:31c2:7c1f:1:1:64:a9fe:a9fe", 80), processes), "error ENETUNREACH");
    });

    it("nat64-inbound.sh is idempotent, and a re-render without ports empties the chain but keeps one jump", () => {
        const state = () => sh(gwNs, "iptables-save -t nat | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'");
        const before = state();
        sh(gwNs, `bash ${path.join(dir, "nat64-inbound.sh")}; bash ${path.join(dir, "nat64-inbound.sh")}`);
        assert.equal(state(), before);
        assert.equal((before.match(new RegExp(`-j ${INBOUND_CHAIN}`, "g")) ?? []).length, 1);
        fs.writeFileSync(
            path.join(dir, "none.sh"),
            renderNat64Inbound({ name: gw.name, nat64: gw.nat64 }, { publicIpv4: GW_V4, publicIpv6: GW_V6, ports: [] }, POOL),
        );
        sh(gwNs, `bash ${path.join(dir, "none.sh")}`);
        const after = state();
        assert.doesNotMatch(after, /DNAT/);
        assert.equal((after.match(new RegExp(`-j ${INBOUND_CHAIN}`, "g")) ?? []).length, 1);
    });
});
