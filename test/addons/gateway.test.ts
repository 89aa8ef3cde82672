import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    gatewayActivateCommand,
    gatewayCleanupCommand,
    gatewayFiles,
    hostDnsCommand,
    hostDnsFiles,
} from "../../components/nat64/render/gatewayFiles";
import {
    DNS64_RESOLVER_CONF_PATH,
    LEGACY_DNS64_RESOLVER_CONF_PATH,
    renderDns64ResolverConf,
    renderHostResolvConf,
} from "../../components/nat64/render/hostDns";
import { INBOUND_CHAIN, NAT64_INBOUND_PATH, inboundMapAddress, renderNat64Inbound } from "../../components/nat64/render/inbound";
import {
    dns64Gateway,
    gateways,
    hcloudPublicPorts,
    hostForwardedPorts,
    hostNameservers,
    inboundIpv4Ports,
    ipv4FirewallPorts,
    servicePortsOn,
} from "../../components/addons/render/plan";
import { DEFAULT_NAT64_POOL, TAYGA_CONF_PATH } from "../../components/nat64/render/tayga";
import { Prefix } from "../../components/network/prefix";
import { planStack } from "../../components/config/stackPlan";
import { decodeInstalledFiles } from "../support/decodeFiles";
import { expectGolden } from "../support/golden";
import { config, prodConfig, twoGateways } from "./support";

const prod = prodConfig();
const prodPlan = planStack(prod);
const cp1 = gateways(prodPlan)[0];
const cp1Files = gatewayFiles({
    gateway: { name: cp1.name, nat64: cp1.nat64 },
    inbound: { publicIpv4: "203.0.113.10", publicIpv6: "2001:db8:10a:1f2e::2", ports: inboundIpv4Ports(prod, "cp1") },
    resolver: {
        name: cp1.name,
        listen: cp1.meshAddress,
        clients: prod.cluster.ulaPrefix,
        nat64: cp1.nat64,
        upstreams: prod.cluster.upstreamDns,
    },
    pool: prod.cluster.nat64Pool,
});

describe("NAT64 gateway and host DNS (golden files under test/golden/addons/)", () => {
    it("the gateway on cp1 of Pulumi.prod.yaml writes exactly these files", () => {
        for (const [file, { content }] of cp1Files) expectGolden(`addons/gateway-cp1${file}`, content);
        assert.deepEqual(
            [...cp1Files.keys()],
            [
                "/etc/systemd/system/v6k8s-dns64.service",
                "/etc/systemd/system/v6k8s-nat64.service",
                "/etc/systemd/system/v6k8s-nat64.service.d/inbound.conf",
                "/etc/unbound/v6k8s-dns64.conf",
                "/etc/v6k8s/tayga.conf",
                "/usr/local/lib/v6k8s/nat64-inbound.sh",
                "/usr/local/lib/v6k8s/nat64-up.sh",
            ],
        );
        assert.equal(cp1Files.get(NAT64_INBOUND_PATH)!.mode, "0755");
        expectGolden("addons/gateway-activate.sh", gatewayActivateCommand());
        // What a host without IPv4 runs instead (a gateway it was goes): the owned-list code and the TUN.
        expectGolden("addons/gateway-cleanup.sh", gatewayCleanupCommand());
    });

    it("every host of Pulumi.prod.yaml gets this resolv.conf: cp1's DNS64 resolver, then Hetzner's resolvers", () => {
        const ns = hostNameservers(prod, prodPlan);
        assert.deepEqual(ns, ["fd8a:31c2:7c1f:1:1::1", "2a01:4ff:ff00::add:1", "2a01:4ff:ff00::add:2"]);
        expectGolden("addons/hosts/etc/resolv.conf", renderHostResolvConf(ns));
        const files = decodeInstalledFiles(hostDnsCommand(ns));
        assert.deepEqual([...files.keys()].sort(), ["/etc/dhcp/dhclient-enter-hooks.d/v6k8s-keep-resolv-conf", "/etc/resolv.conf"]);
        assert.deepEqual(files, new Map([...hostDnsFiles(ns)].map(([p, f]) => [p, { ...f }])));
    });

    it("the inbound map and DNAT carry the public service's port 80 to cp1's public IPv6", () => {
        const tayga = cp1Files.get(TAYGA_CONF_PATH)!.content;
        assert.match(tayga, /^map 192\.168\.255\.2 2001:db8:10a:1f2e::2$/m);
        assert.match(tayga, /^dynamic-pool 192\.168\.255\.0\/24$/m);
        const script = cp1Files.get(NAT64_INBOUND_PATH)!.content;
        assert.match(
            script,
            new RegExp(
                `-A ${INBOUND_CHAIN} -d 203\\.0\\.113\\.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192\\.168\\.255\\.2`,
            ),
        );
        assert.equal(inboundMapAddress({ ipv4Address: "198.51.100.1", dynamicPool: "198.51.100.0/24" }), "198.51.100.2");
        assert.equal(inboundMapAddress({ ipv4Address: "198.51.100.2", dynamicPool: "198.51.100.0/24" }), "198.51.100.1");
    });

    it("without inbound ports tayga.conf is components/nat64's, and the script empties the chain", () => {
        const files = gatewayFiles({
            gateway: { name: "gw", nat64: cp1.nat64 },
            inbound: { publicIpv4: "203.0.113.10", publicIpv6: "2001:db8::2", ports: [] },
            resolver: {
                name: "gw",
                listen: cp1.meshAddress,
                clients: Prefix.parse("fd8a:31c2:7c1f:1::/64"),
                nat64: cp1.nat64,
                upstreams: ["2001:db8::53"],
            },
            pool: DEFAULT_NAT64_POOL,
        });
        assert.doesNotMatch(files.get(TAYGA_CONF_PATH)!.content, /^map /m);
        assert.match(files.get(NAT64_INBOUND_PATH)!.content, new RegExp(`:${INBOUND_CHAIN} - \\[0:0\\]\\nCOMMIT`));
    });

    it("the gateway activation installs tayga and unbound only when missing and fails unless both units run", () => {
        const activate = gatewayActivateCommand();
        assert.match(activate, /\napt_install tayga unbound\n/);
        assert.match(activate, /systemctl disable --now unbound\.service/);
        assert.match(activate, /systemctl restart v6k8s-nat64\.service\nsystemctl restart v6k8s-dns64\.service/);
        assert.match(activate, /exit 1\n$/);
    });

    it("the gateway activation prints both units' last journal lines when one does not come up (real bash, stubbed systemd)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-activate-"));
        try {
            const stub = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
            stub("dpkg-query", "echo -n 'install ok installed'");
            // The resolver never becomes active (as when AppArmor denies its config file).
            stub(
                "systemctl",
                `echo "systemctl $*" >> ${dir}/calls
[ "$1" = is-active ] || exit 0
case "$*" in *v6k8s-dns64.service*) [ "$2" = --quiet ] || echo failed; exit 3;; esac
exit 0`,
            );
            stub("journalctl", `echo "journal: $*"`);
            stub("sleep", "exit 0");
            stub("rm", `echo "rm $*" >> ${dir}/calls`);
            const r = spawnSync("bash", ["-c", gatewayActivateCommand()], {
                encoding: "utf8",
                env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
            });
            assert.equal(r.status, 1, r.stderr);
            assert.match(
                r.stderr,
                /^v6k8s-dns64\.service is failed; its last journal lines:\njournal: -u v6k8s-dns64\.service -n 50 --no-pager$/m,
            );
            assert.match(r.stderr, /^journal: -u v6k8s-nat64\.service -n 50 --no-pager$/m);
            assert.match(fs.readFileSync(path.join(dir, "calls"), "utf8"), new RegExp(`^rm -f ${LEGACY_DNS64_RESOLVER_CONF_PATH}$`, "m"));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the DNS64 resolver's config is where Debian 12's AppArmor profile for unbound lets it read", () => {
        // The read rules of /etc/apparmor.d/usr.sbin.unbound in unbound 1.17.1-2+deb12u4 (Debian 12):
        // nothing outside them is readable, so a config elsewhere stops unbound at start.
        const readable = [/^\/etc\/unbound\/.+$/, /^\/usr\/share\/dns\/root\.[^/]*$/];
        const profile = "/etc/apparmor.d/usr.sbin.unbound";
        if (fs.existsSync(profile)) assert.match(fs.readFileSync(profile, "utf8"), /^\s*\/etc\/unbound\/\*\* r,$/m);
        const unit = cp1Files.get("/etc/systemd/system/v6k8s-dns64.service")!.content;
        const configArg = /^ExecStart=\/usr\/sbin\/unbound .*-c (\S+)$/m.exec(unit)?.[1];
        assert.equal(configArg, DNS64_RESOLVER_CONF_PATH);
        assert.ok(
            readable.some((r) => r.test(configArg!)),
            `${configArg} is outside unbound's AppArmor profile`,
        );
        // Not in unbound.conf.d/, which Debian's own unbound.conf includes (its service stays off).
        assert.doesNotMatch(configArg!, /^\/etc\/unbound\/unbound\.conf\.d\//);
        assert.ok(cp1Files.has(DNS64_RESOLVER_CONF_PATH));
    });

    it("the DNS64 resolver is bound to the gateway unit and listens only on the mesh address", () => {
        const unit = cp1Files.get("/etc/systemd/system/v6k8s-dns64.service")!.content;
        assert.match(unit, /^BindsTo=v6k8s-nat64\.service$/m);
        assert.match(unit, /^WantedBy=multi-user\.target v6k8s-nat64\.service$/m);
        const conf = cp1Files.get(DNS64_RESOLVER_CONF_PATH)!.content;
        assert.match(conf, /^ {4}interface: fd8a:31c2:7c1f:1:1::1$/m);
        assert.match(conf, /^ {4}dns64-prefix: fd8a:31c2:7c1f:1:1:64::\/96$/m);
        assert.match(conf, /^ {4}access-control: fd8a:31c2:7c1f:1::\/64 allow$/m);
        assert.throws(
            () =>
                renderDns64ResolverConf({
                    name: "x",
                    listen: "fd00::1",
                    clients: Prefix.parse("fd00::/64"),
                    nat64: Prefix.parse("fd00:0:0:0:1::/80"),
                    upstreams: ["2001:db8::53"],
                }),
            /must be a \/96/,
        );
    });

    it("unbound-checkconf accepts the resolver config (when unbound's binaries are at hand)", function () {
        const checkconf = process.env.V6K8S_UNBOUND_CHECKCONF ?? "unbound-checkconf";
        if (spawnSync(checkconf, ["-h"]).error) {
            console.warn(`\n  !!! SKIPPED: ${checkconf} not found (apt-get install unbound, or set V6K8S_UNBOUND_CHECKCONF) !!!\n`);
            this.skip();
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-unbound-"));
        try {
            // Only what depends on the machine changes: the working directory and the user to drop to.
            const conf = cp1Files
                .get(DNS64_RESOLVER_CONF_PATH)!
                .content.replace('directory: "/etc/unbound"', `directory: "${dir}"`)
                .replace('username: "unbound"', 'username: ""');
            fs.writeFileSync(path.join(dir, "good.conf"), conf);
            fs.writeFileSync(path.join(dir, "bad.conf"), conf.replace("dns64 iterator", "dns64 iteratr"));
            const good = spawnSync(checkconf, [path.join(dir, "good.conf")], { encoding: "utf8" });
            assert.equal(good.status, 0, good.stdout + good.stderr);
            assert.notEqual(spawnSync(checkconf, [path.join(dir, "bad.conf")]).status, 0, "a broken config must fail the check");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("which gateway, which resolvers, which ports", () => {
    const c = config(twoGateways());
    const plan = planStack(c);

    it("gateways are the IPv4 hosts by index; dns64 uses the lowest unless cluster.dns64Gateway says otherwise", () => {
        assert.deepEqual(
            gateways(plan).map((g) => g.name),
            ["gw3", "gw7", "h9"],
        );
        assert.equal(dns64Gateway(c, plan)?.name, "gw3");
        const raw = twoGateways();
        raw.cluster.dns64Gateway = "h9";
        const other = config(raw);
        assert.equal(dns64Gateway(other, planStack(other))?.name, "h9");
        assert.deepEqual(hostNameservers(other, planStack(other)), [
            "fd8a:31c2:7c1f:1:9::1",
            "fd8a:31c2:7c1f:1:3::1",
            "2a01:4ff:ff00::add:1",
        ]);
    });

    it("hosts list two gateways' resolvers and one upstream (glibc reads three); without IPv4 only upstreams", () => {
        assert.deepEqual(hostNameservers(c, plan), ["fd8a:31c2:7c1f:1:3::1", "fd8a:31c2:7c1f:1:7::1", "2a01:4ff:ff00::add:1"]);
        const raw = twoGateways();
        raw.nodes = raw.nodes.map((n) => ({ ...n, ipv4: n.kind === "hcloud" ? false : undefined, ipv4Ports: [] }));
        raw.cluster.upstreamDns = ["2001:db8:53::1", "2001:db8:53::2", "2001:db8:53::3"];
        const v6 = config(raw);
        assert.deepEqual(hostNameservers(v6, planStack(v6)), ["2001:db8:53::1", "2001:db8:53::2", "2001:db8:53::3"]);
    });

    it("an IPv4 host forwards its ipv4Ports and the ports of the services on it; an IPv6-only host forwards nothing", () => {
        assert.deepEqual(inboundIpv4Ports(c, "gw3"), [
            { port: 25, protocol: "TCP" },
            { port: 80, protocol: "TCP" },
            { port: 443, protocol: "TCP" },
        ]);
        assert.deepEqual(inboundIpv4Ports(c, "gw7"), []);
        assert.deepEqual(inboundIpv4Ports(c, "cp1"), []);
        assert.deepEqual(
            servicePortsOn(c, "cp1").map((p) => p.port),
            [80, 443],
        );
    });

    it("ipv4Ports open the host firewall to the node's own NAT64 /96 only; hcloud's firewall opens service ports on hcloud hosts", () => {
        assert.deepEqual(ipv4FirewallPorts(c, plan, "gw3"), [
            { protocol: "tcp", port: 25, from: ["fd8a:31c2:7c1f:1:3:64::/96"], why: "IPv4 clients through NAT64" },
        ]);
        assert.deepEqual(ipv4FirewallPorts(c, plan, "cp1"), []);
        assert.deepEqual(hcloudPublicPorts(c), [
            { port: 80, protocol: "TCP" },
            { port: 443, protocol: "TCP" },
        ]);
        assert.deepEqual(hcloudPublicPorts(prod), [], "the example's public hosts are dedicated");
        const withNodePort = {
            ...c,
            cluster: { ...c.cluster, kubeProxy: { publicNodePorts: [{ port: 30080, protocol: "UDP" as const }] } },
        };
        assert.deepEqual(hcloudPublicPorts(withNodePort), [
            { port: 80, protocol: "TCP" },
            { port: 443, protocol: "TCP" },
            { port: 30080, protocol: "UDP" },
        ]);
        assert.deepEqual(hostForwardedPorts(withNodePort, "cp1"), [
            { protocol: "tcp", port: 80, why: "a public service on this host (externalIPs)" },
            { protocol: "tcp", port: 443, why: "a public service on this host (externalIPs)" },
            { protocol: "udp", port: 30080, why: "a public NodePort" },
        ]);
    });

    it("renderers refuse what cannot work", () => {
        assert.throws(() => renderHostResolvConf([]), /1 to 3 nameservers/);
        assert.throws(() => renderHostResolvConf(["203.0.113.53"]), /not an IPv6 address/);
        assert.throws(
            () => renderNat64Inbound({ name: "x", nat64: cp1.nat64 }, { publicIpv4: "2001:db8::1", publicIpv6: "2001:db8::2", ports: [] }),
            /not an IPv4 address/,
        );
    });
});
