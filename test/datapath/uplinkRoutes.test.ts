// The network step turning on IPv6 forwarding on a host whose default route comes from router
// advertisements, sent by a real radvd (Debian) in a throwaway "provider" namespace to two hosts:
// one does what the step did before (forwarding on, then the route check), the other what it
// does now (its rendered lines: accept_ra=2 on the uplinks first). The kernel's own behaviour is
// the judge: forwarding on deletes RA-learned default routes unless accept_ra is 2.
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackFile } from "../../components/config/stackFile";
import { NETWORK_UP_PATH, VERIFY_DEFAULT_ROUTE, renderKeepUplinkRoutes } from "../../components/hosts/render/scripts";
import { SYSCTL_PATH } from "../../components/hosts/render/sysctl";
import { renderStack } from "../../components/offline";
import { Netns, requireDatapath } from "../support/netns";

const PROD = path.join(__dirname, "..", "..", "Pulumi.prod.yaml");
const RADVD = "/usr/sbin/radvd";
const FORWARDING_ON = "sysctl -q -w net.ipv6.conf.all.forwarding=1";

describe("uplink default route from router advertisements through the network step (root, radvd)", function () {
    this.timeout(30000);
    let provider: Netns | undefined;
    const hosts: Netns[] = [];
    let radvd: ChildProcess | undefined;
    let dir = "";

    const defaultRoute = (ns: Netns) => ns.exec(["ip", "-6", "route", "show", "default"]).trim();
    const bash = (ns: Netns, script: string) =>
        spawnSync("ip", ["netns", "exec", ns.name, "bash", "-c", `set -euo pipefail\n${script}`], { encoding: "utf8" });

    /** A host on its own link to the provider, its uplink up with the kernel's defaults (accept_ra=1, forwarding off). */
    function addHost(n: number): Netns {
        const h = new Netns(`v6t-rahost${n}-${process.pid}`);
        hosts.push(h);
        h.exec(["sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0"]);
        provider!.exec(["ip", "link", "add", `up${n}`, "type", "veth", "peer", "name", "eth0", "netns", h.name]);
        provider!.exec(["ip", "link", "set", `up${n}`, "up"]);
        return h;
    }

    async function learnRoute(h: Netns): Promise<string> {
        for (let i = 0; i < 100; i++) {
            const r = defaultRoute(h);
            if (r.includes("proto ra")) return r;
            await new Promise((res) => setTimeout(res, 100));
        }
        throw new Error(`no default route from radvd: ${defaultRoute(h)}`);
    }

    before(function () {
        requireDatapath(this, []);
        if (!fs.existsSync(RADVD)) {
            if (process.env.V6K8S_REQUIRE_DATAPATH === "1")
                throw new Error(`datapath test cannot run: ${RADVD} is missing (apt-get install radvd)`);
            console.warn(`\n  !!! SKIPPED datapath test: ${RADVD} is missing (apt-get install radvd) !!!\n`);
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-ra-"));
        provider = new Netns(`v6t-raprov-${process.pid}`);
        // No duplicate address detection: link-local addresses are usable at once, so radvd and the
        // hosts' solicitations need not wait for it.
        provider.exec(["sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1", "net.ipv6.conf.default.accept_dad=0"]);
        addHost(1);
        addHost(2);
        const iface = (n: number) =>
            `interface up${n} { AdvSendAdvert on; MinRtrAdvInterval 3; MaxRtrAdvInterval 4; AdvDefaultLifetime 1800; };\n`;
        fs.writeFileSync(path.join(dir, "radvd.conf"), iface(1) + iface(2));
        radvd = spawn(
            "ip",
            [
                "netns",
                "exec",
                provider.name,
                RADVD,
                "-n",
                "-m",
                "stderr",
                "-C",
                path.join(dir, "radvd.conf"),
                "-p",
                path.join(dir, "radvd.pid"),
            ],
            {
                stdio: "ignore",
            },
        );
    });

    before(async () => {
        // radvd answers solicitations once it runs (its pid file says so); then both uplinks come
        // up at once, each host soliciting its router advertisement in parallel.
        for (let i = 0; i < 50 && !fs.existsSync(path.join(dir, "radvd.pid")); i++) await new Promise((res) => setTimeout(res, 100));
        for (const h of hosts) h.exec(["ip", "link", "set", "eth0", "up"]);
    });

    after(() => {
        radvd?.kill();
        for (const h of hosts) h.delete();
        provider?.delete();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("network-up.sh keeps the uplinks' routes before it turns forwarding on, and checks the route after", () => {
        const cp1 = renderStack(readStackFile(PROD)).find((h) => h.net.name === "cp1")!;
        const script = cp1.files.get(NETWORK_UP_PATH)!.content;
        const keep = script.indexOf("accept_ra");
        const forwarding = script.indexOf(`sysctl -q -p ${SYSCTL_PATH}`);
        const verify = script.indexOf(VERIFY_DEFAULT_ROUTE);
        assert.ok(keep > 0 && keep < forwarding && forwarding < verify, "accept_ra, then sysctl -p, then the route check");
    });

    it("the old order (forwarding on first): the kernel deletes the RA default route, and the step's check fails naming it", async () => {
        const h = hosts[0];
        await learnRoute(h);
        const r = bash(h, `uplinks=eth0\n${FORWARDING_ON}\n${VERIFY_DEFAULT_ROUTE}`);
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.match(
            r.stderr,
            /the default IPv6 route is gone since forwarding is on \(uplinks: eth0\); a route learned from router advertisements needs accept_ra=2/,
        );
        assert.equal(defaultRoute(h), "");
    });

    it("the step's order: accept_ra=2 on the uplink, forwarding on, the RA default route stays; kept for the next boot", async () => {
        const h = hosts[1];
        const before = await learnRoute(h);
        const file = path.join(dir, "89-uplink.conf");
        const r = bash(h, `${renderKeepUplinkRoutes(file)}\n${FORWARDING_ON}\n${VERIFY_DEFAULT_ROUTE}`);
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.equal(h.exec(["cat", "/proc/sys/net/ipv6/conf/eth0/accept_ra"]).trim(), "2");
        assert.equal(defaultRoute(h).split(" expires")[0], before.split(" expires")[0]);
        assert.match(fs.readFileSync(file, "utf8"), /^net\/ipv6\/conf\/eth0\/accept_ra = 2$/m);
        // A second run changes nothing (the file is not rewritten).
        const mtime = fs.statSync(file).mtimeMs;
        assert.equal(bash(h, renderKeepUplinkRoutes(file)).status, 0);
        assert.equal(fs.statSync(file).mtimeMs, mtime);
    });

    it("an uplink with accept_ra=0 (a static configuration) is left alone", () => {
        const h = new Netns(`v6t-rastatic-${process.pid}`);
        hosts.push(h);
        h.exec(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"]);
        h.exec(["sysctl", "-q", "-w", "net.ipv6.conf.eth0.accept_ra=0"]);
        h.exec(["ip", "link", "set", "eth0", "up"]);
        h.exec(["ip", "link", "set", "eth1", "up"]);
        h.exec(["ip", "-6", "route", "add", "default", "dev", "eth0"]);
        const file = path.join(dir, "89-static.conf");
        const r = bash(h, `${renderKeepUplinkRoutes(file)}\n${FORWARDING_ON}\n${VERIFY_DEFAULT_ROUTE}`);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(h.exec(["cat", "/proc/sys/net/ipv6/conf/eth0/accept_ra"]).trim(), "0");
        assert.ok(!fs.existsSync(file), "no sysctl file for an uplink that takes no router advertisements");
    });
});
