import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackFile } from "../../components/config/stackFile";
import { filesOnStdin, installFilesCommand, installStdinFilesCommand } from "../../components/hosts/render/commands";
import { OWNED_DIR_ENV, OWNERS } from "../../components/hosts/render/owned";
import { MESH_MTU } from "../../components/hosts/render/hostNet";
import { renderFirewall } from "../../components/hosts/render/nftables";
import { renderStack } from "../../components/offline";
import { renderInstallPackages } from "../../components/hosts/render/scripts";
import { gatewayActivateCommand } from "../../components/nat64/render/gatewayFiles";
import { expectGolden } from "../support/golden";

const PROD = path.join(__dirname, "..", "..", "Pulumi.prod.yaml");

describe("host renderers (golden files under test/golden/hosts/<node>/<path on host>)", () => {
    const hosts = renderStack(readStackFile(PROD));
    // cp1: dedicated with IPv4 (NAT64 gateway); w2: hcloud (GUA placeholders).
    for (const name of ["cp1", "w2"]) {
        const host = hosts.find((h) => h.net.name === name)!;
        for (const [file, { content }] of host.files) {
            it(`${name}: ${file}`, () => expectGolden(`hosts/${name}${file}`, content));
        }
    }

    it("renders the seed's CNI config: bridge cluster0, ULA range first, GUA second, portmap, firewall, the mesh MTU", () => {
        const cp1 = hosts.find((h) => h.net.name === "cp1")!;
        const conf = JSON.parse(cp1.files.get("/etc/cni/net.d/10-cluster.conflist")!.content);
        assert.deepEqual(
            conf.plugins.map((p: { type: string }) => p.type),
            ["loopback", "bridge", "portmap", "firewall"],
        );
        const bridge = conf.plugins[1];
        assert.equal(bridge.bridge, "cluster0");
        assert.ok(bridge.isGateway && bridge.isDefaultGateway && bridge.hairpinMode && bridge.forceAddress);
        assert.equal(bridge.mtu, MESH_MTU);
        assert.deepEqual(bridge.ipam.ranges, [
            [{ subnet: "fd8a:31c2:7c1f:1:1:1::/96", rangeStart: "fd8a:31c2:7c1f:1:1:1:0:10", rangeEnd: "fd8a:31c2:7c1f:1:1:1:ffff:ffff" }],
            [
                {
                    subnet: "2001:db8:10a:1f2e:0:1::/96",
                    rangeStart: "2001:db8:10a:1f2e:0:1:0:10",
                    rangeEnd: "2001:db8:10a:1f2e:0:1:ffff:ffff",
                },
            ],
        ]);
        assert.deepEqual(conf.plugins[2].capabilities, { portMappings: true }, "portmap takes the runtime's hostPorts");
        assert.equal(conf.plugins[3].backend, "iptables");
    });

    it("chooses the mesh MTU so a full pod packet fits in a 1500-byte uplink after WireGuard over IPv6", () => {
        // 40 (outer IPv6) + 8 (UDP) + 32 (WireGuard header and tag) = 80.
        assert.equal(MESH_MTU + 40 + 8 + 32, 1500);
    });

    it("enables IPv4 forwarding only on NAT64 gateways", () => {
        const sysctl = (n: string) => hosts.find((h) => h.net.name === n)!.files.get("/etc/sysctl.d/90-v6k8s.conf")!.content;
        assert.match(sysctl("cp1"), /^net\.ipv4\.ip_forward = 1$/m);
        assert.doesNotMatch(sysctl("cp2"), /ip_forward/);
    });

    it("marks hcloud values that only exist after creation as placeholders", () => {
        const w2 = hosts.find((h) => h.net.name === "w2")!;
        assert.match(w2.files.get("/etc/cni/net.d/10-cluster.conflist")!.content, /"subnet": "<hcloud-gua:w2>:1::\/96"/);
        const cp1 = hosts.find((h) => h.net.name === "cp1")!;
        assert.match(cp1.files.get("/etc/wireguard/wg0.conf")!.content, /Endpoint = \[<hcloud-ipv6:w2>\]:51820/);
    });

    const noForward = { clusterUla: "fd8a:31c2:7c1f:1::/64", ports: [], nat64Interface: null };
    it("firewall opens a role's public ports only to the given sources", () => {
        const fw = renderFirewall(
            "cp1",
            "2001:db8:0:1:0:1::/96",
            [{ protocol: "tcp", port: 6443, from: ["2001:db8:aaaa::/48", "198.51.100.0/24"], why: "apiserver for admins" }],
            noForward,
        );
        assert.match(fw, /ip6 saddr \{ 2001:db8:aaaa::\/48 \} tcp dport 6443 accept/);
        assert.match(fw, /ip saddr \{ 198\.51\.100\.0\/24 \} tcp dport 6443 accept/);
        assert.doesNotMatch(renderFirewall("cp1", "2001:db8:0:1:0:1::/96", [], noForward), /6443|2379|10250/);
    });

    it("firewall forwards what kube-proxy translates from outside only for this host's published ports, before dropping the rest", () => {
        const fw = renderFirewall("cp1", "2001:db8:0:1:0:1::/96", [], {
            ...noForward,
            ports: [
                { protocol: "tcp", port: 80, why: "a public service on this host (externalIPs)" },
                { protocol: "udp", port: 30053, why: "a public NodePort" },
            ],
        });
        const forward = fw.slice(fw.indexOf("chain forward"));
        const accept80 = forward.indexOf("meta l4proto tcp ct original proto-dst 80 accept");
        const accept30053 = forward.indexOf("meta l4proto udp ct original proto-dst 30053 accept");
        const drop = forward.indexOf("ct state new ct status dnat drop");
        assert.ok(accept80 > 0 && accept30053 > 0 && drop > accept80 && drop > accept30053, forward);
        assert.match(forward, /ct original ip6 daddr != fd8a:31c2:7c1f:1::\/64 meta l4proto tcp/);
        assert.doesNotMatch(forward, /nat64/, "a host without IPv4 has no NAT64 interface to let through");
        const gw = renderFirewall("cp1", "2001:db8:0:1:0:1::/96", [], { ...noForward, nat64Interface: "nat64" });
        const gwForward = gw.slice(gw.indexOf("chain forward"));
        assert.ok(gwForward.indexOf('oifname "nat64" accept') < gwForward.indexOf("ct status dnat drop"), gwForward);
        assert.ok(gwForward.indexOf('iifname "nat64" accept') < gwForward.indexOf("ct status dnat drop"), gwForward);
    });
});

describe("installFilesCommand, run by a real shell", () => {
    it("writes every file with its mode, atomically; a second run touches nothing (same inodes), a changed mode or content is written", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-install-"));
        const tricky = "quotes ' \" $HOME `x` \\ and a trailing newline\n";
        const files = new Map([
            [`${root}/etc/a.conf`, { content: tricky, mode: "0644" }],
            [`${root}/usr/local/lib/x/run.sh`, { content: "#!/bin/sh\necho hi\n", mode: "0755" }],
            [`${root}/etc/wireguard/wg0.conf`, { content: "[Interface]\n", mode: "0600" }],
        ]);
        const script = installFilesCommand(files, OWNERS.nodeFiles);
        // The step's list of what it wrote goes to the scratch root, never the machine's /var/lib.
        const env = { ...process.env, [OWNED_DIR_ENV]: `${root}/owned` };
        // Temp files are hidden: the kubelet takes every other file in its manifest directory for a pod.
        assert.ok(
            script.includes(`${root}/etc/.a.conf.v6k8s-new`) && !script.includes(`${root}/etc/a.conf.v6k8s-new`),
            "temp files must be dotfiles",
        );
        const inodes = () => [...files.keys()].map((f) => fs.statSync(f).ino);
        let first: number[] = [];
        for (let run = 0; run < 2; run++) {
            const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env });
            assert.equal(r.status, 0, r.stderr);
            for (const [file, { content, mode }] of files) {
                assert.equal(fs.readFileSync(file, "utf8"), content);
                assert.equal((fs.statSync(file).mode & 0o777).toString(8).padStart(4, "0"), mode);
            }
            assert.deepEqual(
                fs.readdirSync(`${root}/etc`).filter((f) => f.endsWith(".v6k8s-new")),
                [],
            );
            // The kubelet restarts a static pod whose manifest is replaced, even by the same bytes.
            if (run === 0) first = inodes();
            else assert.deepEqual(inodes(), first, "an unchanged file was replaced");
        }
        fs.chmodSync(`${root}/etc/a.conf`, 0o600);
        fs.writeFileSync(`${root}/etc/wireguard/wg0.conf`, "stale\n");
        assert.equal(spawnSync("bash", ["-c", script], { encoding: "utf8", env }).status, 0);
        assert.equal((fs.statSync(`${root}/etc/a.conf`).mode & 0o777).toString(8), "644", "a changed mode is restored");
        assert.equal(fs.readFileSync(`${root}/etc/wireguard/wg0.conf`, "utf8"), "[Interface]\n", "changed content is rewritten");
        assert.equal(fs.statSync(`${root}/usr/local/lib/x/run.sh`).ino, first[1], "the unchanged file is still not touched");
    });

    for (const shell of ["sh", "bash"]) {
        it(`keys on stdin (${shell}): temp files are 0600 from the start, no key in any process's arguments, a cut-short set writes nothing`, () => {
            const root = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-stdin-"));
            // A stand-in, not a key: PEM-shaped text assembled here so no key-like block sits in git.
            const pem = (edge: string) => `-----${edge} ${["PRIVATE", "KEY"].join(" ")}-----`;
            const key = `${pem("BEGIN")}\nSECRET-KEY-MATERIAL\n${pem("END")}\n`;
            const files = new Map([
                [`${root}/etc/kubernetes/pki/apiserver.key`, { content: key, mode: "0600" }],
                [`${root}/etc/kubernetes/pki/apiserver.crt`, { content: "CERT\n", mode: "0644" }],
            ]);
            // Every external command the installer runs goes through a shim that logs its argv
            // (what /proc/<pid>/cmdline shows) and, for chmod, the temp file's mode before it.
            const shims = path.join(root, "shims");
            const log = path.join(root, "argv.log");
            fs.mkdirSync(shims);
            for (const bin of ["base64", "chmod", "mv", "mkdir"]) {
                const real = spawnSync("sh", ["-c", `command -v ${bin}`], { encoding: "utf8" }).stdout.trim();
                fs.writeFileSync(
                    path.join(shims, bin),
                    `#!/bin/sh\necho "${bin} $*" >> ${log}\n${bin === "chmod" ? `stat -c 'before-chmod %a' "$2" >> ${log}\n` : ""}exec ${real} "$@"\n`,
                    { mode: 0o755 },
                );
            }
            const env = { ...process.env, PATH: `${shims}:${process.env.PATH}`, [OWNED_DIR_ENV]: `${root}/owned` };
            const stdin = filesOnStdin(files);
            const INSTALL_STDIN_FILES = installStdinFilesCommand(OWNERS.kubernetesPki);
            for (let run = 0; run < 2; run++) {
                const r = spawnSync(shell, ["-c", INSTALL_STDIN_FILES], { input: stdin, encoding: "utf8", env });
                assert.equal(r.status, 0, r.stderr);
                for (const [file, { content, mode }] of files) {
                    assert.equal(fs.readFileSync(file, "utf8"), content);
                    assert.equal((fs.statSync(file).mode & 0o777).toString(8).padStart(4, "0"), mode);
                }
            }
            assert.equal((fs.statSync(`${root}/etc/kubernetes`).mode & 0o777).toString(8), "755", "directories stay traversable");
            const argv = fs.readFileSync(log, "utf8");
            assert.match(argv, /^chmod 0600 /m, "the shims saw the installer's commands");
            assert.doesNotMatch(argv, /SECRET-KEY-MATERIAL|PRIVATE[ ]KEY/);
            assert.ok(!argv.includes(Buffer.from(key).toString("base64").slice(0, 24)), "no base64 of the key in any argv");
            // The second run finds every file as it should be and writes (chmods) nothing.
            assert.deepEqual(
                argv
                    .split("\n")
                    .filter((l) => l.startsWith("before-chmod"))
                    .map((l) => l.split(" ")[1]),
                ["600", "600"],
            );
            assert.ok(!INSTALL_STDIN_FILES.includes("SECRET") && !INSTALL_STDIN_FILES.includes(root), "the command text is fixed");
            // A set cut short (no `end` line) writes nothing.
            const fresh = `${root}/other/x.key`;
            const cut = filesOnStdin(new Map([[fresh, { content: key, mode: "0600" }]])).replace(/end\n$/, "");
            const r = spawnSync(shell, ["-c", INSTALL_STDIN_FILES], { input: cut, encoding: "utf8", env });
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /cut short/);
            assert.ok(!fs.existsSync(fresh));
        });
    }

    it("package installs wait for cloud-init, then for apt's lock (a new hcloud server runs apt itself)", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-apt-"));
        const log = path.join(root, "calls.log");
        const shim = (bin: string, body = "") =>
            fs.writeFileSync(path.join(root, bin), `#!/bin/sh\necho "${bin} $*" >> ${log}\n${body}`, { mode: 0o755 });
        shim("dpkg-query", "exit 1\n"); // nothing installed
        shim("apt-get");
        shim("cloud-init");
        const run = (script: string, withCloudInit: boolean) => {
            fs.rmSync(log, { force: true });
            if (!withCloudInit) fs.rmSync(path.join(root, "cloud-init"), { force: true });
            const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, PATH: `${root}:/usr/bin:/bin` } });
            assert.equal(r.status, 0, r.stderr);
            return fs
                .readFileSync(log, "utf8")
                .split("\n")
                .filter((l) => !l.startsWith("dpkg-query"));
        };
        for (const script of [renderInstallPackages(), gatewayActivateCommand().replace(/^systemctl[\s\S]*/m, "")]) {
            const calls = run(script, true);
            assert.equal(calls[0], "cloud-init status --wait");
            assert.match(calls[1], /^apt-get -o DPkg::Lock::Timeout=600 update -q$/);
            assert.match(calls[2], /^apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends /);
        }
        if (spawnSync("sh", ["-c", "PATH=/usr/bin:/bin command -v cloud-init"]).status !== 0) {
            assert.match(
                run(renderInstallPackages(), false)[0],
                /^apt-get -o DPkg::Lock::Timeout=600 update/,
                "no cloud-init (Robot): straight to apt",
            );
        }
    });

    it("mesh-up hands syncconf the private key from the key file (syncconf would otherwise drop it)", () => {
        const meshUp = renderStack(readStackFile(PROD))[0].files.get("/usr/local/lib/v6k8s/mesh-up.sh")!.content;
        const awk = /\| awk -v key=\S+ '([^']+)'/.exec(meshUp);
        assert.ok(awk, "mesh-up.sh pipes wg-quick strip through awk");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-wg-"));
        fs.writeFileSync(path.join(dir, "wg0.key"), "KEY-FROM-FILE=\n");
        const stripped = "[Interface]\nListenPort = 51820\n\n[Peer]\nPublicKey = P=\nAllowedIPs = fd00::/80\n";
        const r = spawnSync("awk", ["-v", `key=${path.join(dir, "wg0.key")}`, awk[1]], { input: stripped, encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(
            r.stdout,
            "[Interface]\nPrivateKey = KEY-FROM-FILE=\nListenPort = 51820\n\n[Peer]\nPublicKey = P=\nAllowedIPs = fd00::/80\n",
        );
    });

    it("every rendered script is valid bash", () => {
        for (const host of renderStack(readStackFile(PROD))) {
            for (const [file, { content }] of host.files) {
                if (!file.endsWith(".sh")) continue;
                const r = spawnSync("bash", ["-n"], { input: content, encoding: "utf8" });
                assert.equal(r.status, 0, `${host.net.name}:${file}: ${r.stderr}`);
            }
        }
    });
});
