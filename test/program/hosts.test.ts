import { strict as assert } from "assert";
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { projectKeys } from "../../components/config/stackFile";
import { publicKeyOf } from "../../components/hosts/sshPublicKey";
import { decodeInstalledFiles } from "../support/decodeFiles";
import { RawConfig, dedicated, hcloud } from "../support/fixtures";
import {
    PROJECT,
    RecordedResource,
    TEST_ENCRYPTION_KEY,
    TEST_SSH_KEY,
    fakePublicKey,
    isMembershipCommand,
    resolve,
    runProgram,
} from "../support/pulumiMocks";
import { upstream } from "../support/graph";
import { sharedRun } from "../support/sharedRuns";
import { capturingWarnings } from "../support/warnings";
import { isSecret, resourceNamed as byName, stringsOf } from "../support/recorded";

const COMMAND = "command:remote:Command";
const WG_CONF = "/etc/wireguard/wg0.conf";

function prodConfig(): Record<string, unknown> {
    const doc = parse(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.prod.yaml"), "utf8"));
    return projectKeys(doc.config, PROJECT);
}

function threeNodes(): RawConfig {
    return {
        cluster: { ulaPrefix: "fd8a:31c2:7c1f:1::/64", kubernetesVersion: "1.34.2" },
        nodes: [
            dedicated("a", 1, ["control-plane", "worker"], "2001:db8:a:1::/64", { ipv4: "203.0.113.10" }),
            dedicated("b", 2, ["worker"], "2001:db8:a:2::/64"),
            dedicated("c", 3, ["worker"], "2001:db8:a:3::/64"),
        ],
    };
}

const createOf = (r: RecordedResource) => r.inputs.create as string;

describe("hosts and mesh under Pulumi mocks", function () {
    // Each run declares the whole program; on a loaded machine two runs in one test exceed the default.
    this.timeout(180_000);
    let prod: RecordedResource[];
    let prodOutputs: Record<string, unknown>;
    before(async () => {
        ({ resources: prod, outputs: prodOutputs } = await sharedRun(prodConfig()));
    });

    it("declares per host files, activate, wireguard-key and a mesh command, and the hcloud servers", () => {
        const names = new Set(prod.map((r) => r.name));
        for (const host of ["cp1", "cp2", "cp3", "w1", "w2", "w3"]) {
            for (const step of ["files", "activate", "wireguard-key"]) assert.ok(names.has(`node-${host}-${step}`), `node-${host}-${step}`);
            assert.ok(names.has(`mesh-${host}`), `mesh-${host}`);
        }
        const servers = prod.filter((r) => r.type === "hcloud:index/server:Server").map((r) => r.inputs.name);
        assert.deepEqual(servers.sort(), ["w2", "w3"]);
        assert.equal(
            prod.filter((r) => r.type.startsWith("hcloud:index/placementGroup")).length,
            0,
            "no hcloud control-plane -> no placement group",
        );
    });

    it("orders each host: server -> files -> activate -> wireguard-key -> mesh (after every key)", () => {
        for (const host of ["cp1", "w2"]) {
            if (host === "w2") assert.ok(byName(prod, "node-w2-files").dependsOn.includes("hcloud-w2"));
            assert.ok(byName(prod, `node-${host}-activate`).dependsOn.includes(`node-${host}-files`));
            assert.ok(byName(prod, `node-${host}-wireguard-key`).dependsOn.includes(`node-${host}-activate`));
            // Every key reaches the mesh steps through one relay (2N edges, not N²).
            assert.ok(byName(prod, `mesh-${host}`).dependsOn.includes("mesh.peers"), `mesh-${host} reads the peer list from the relay`);
            const mesh = upstream(prod, `mesh-${host}`);
            for (const peer of ["cp1", "cp2", "cp3", "w1", "w2", "w3"]) {
                assert.ok(mesh.has(`node-${peer}-wireguard-key`), `mesh-${host} waits for ${peer}'s key`);
            }
        }
        const relay = byName(prod, "mesh.peers");
        assert.equal(relay.type, "command:local:Command");
        assert.equal(relay.inputs.create, undefined, "the relay runs nothing");
        for (const peer of ["cp1", "cp2", "cp3", "w1", "w2", "w3"]) {
            assert.ok(relay.dependsOn.includes(`node-${peer}-wireguard-key`), `the relay waits for ${peer}'s key`);
        }
    });

    it("gives every remote command triggers (sha256 of what it applies) and an SSH connection over IPv6", () => {
        const commands = prod.filter((r) => r.type === COMMAND);
        assert.equal(commands.filter((c) => c.name.startsWith("node-") || c.name.startsWith("mesh-")).length, 24);
        for (const c of commands) {
            const triggers = c.inputs.triggers as string[];
            // Membership commands have none, on purpose (test/program/membership.test.ts).
            if (isMembershipCommand(c.name)) assert.equal(triggers, undefined, `${c.name} has no triggers`);
            else assert.ok(Array.isArray(triggers) && triggers.length > 0, `${c.name} has triggers`);
            for (const t of triggers ?? []) assert.match(t, /^[0-9a-f]{64}$/, `${c.name} trigger`);
            const conn = (c.inputs.connection as { value: { host: string; user: string } }).value;
            assert.ok(isSecret(c.inputs.connection), `${c.name}: the connection (it holds the SSH key) is a secret`);
            assert.ok(conn.host.includes(":") && conn.user === "root", `${c.name} connects over IPv6 as root`);
        }
    });

    it("keeps the SSH private key secret and never handles a WireGuard private key", () => {
        for (const r of prod) {
            for (const { text, secret } of stringsOf(r.inputs)) {
                if (text.includes("PRIVATE KEY")) assert.ok(secret, `${r.name} holds a private key outside a secret`);
            }
        }
        for (const r of prod.filter((x) => x.name.startsWith("mesh-"))) {
            const conf = decodeInstalledFiles(createOf(r)).get(WG_CONF);
            assert.ok(conf, `${r.name} writes wg0.conf`);
            assert.doesNotMatch(conf.content, /^PrivateKey/m);
            assert.equal(conf.mode, "0600");
        }
        const key = byName(prod, "node-cp1-wireguard-key");
        assert.equal(createOf(key), "/usr/local/lib/v6k8s/wireguard-key.sh");
    });

    it("writes exactly the rendered files, and wg0.conf peers every other host by its ULA /80 and public address", () => {
        const files = decodeInstalledFiles(createOf(byName(prod, "node-cp1-files")));
        assert.ok(files.has("/etc/cni/net.d/10-cluster.conflist") && files.has("/etc/v6k8s/host-firewall.nft"));
        assert.equal(files.get("/usr/local/lib/v6k8s/network-up.sh")?.mode, "0755");
        const conf = decodeInstalledFiles(createOf(byName(prod, "mesh-cp1"))).get(WG_CONF)!.content;
        assert.match(conf, /^Address = fd8a:31c2:7c1f:1:1::1\/64$/m);
        assert.equal((conf.match(/^\[Peer\]$/gm) ?? []).length, 5);
        assert.match(
            conf,
            new RegExp(
                `PublicKey = ${fakePublicKey("node-cp2-wireguard-key").replace(/[+/]/g, "\\$&")}\\nAllowedIPs = fd8a:31c2:7c1f:1:2::/80\\nEndpoint = \\[2001:db8:10b:2c41::2\\]:51820`,
            ),
        );
        // hcloud peers use the address hcloud assigned (mock: 2001:db8:c0de:....::1).
        assert.match(conf, /# w2\nPublicKey = .*\nAllowedIPs = fd8a:31c2:7c1f:1:c::\/80\nEndpoint = \[2001:db8:c0de:[0-9a-f]+::1\]:51820/);
    });

    it("creates hcloud servers IPv6-only unless asked, trusting exactly the stack's SSH key", () => {
        for (const s of prod.filter((r) => r.type === "hcloud:index/server:Server")) {
            assert.deepEqual(s.inputs.publicNets, [{ ipv4Enabled: false, ipv6Enabled: true }]);
        }
        assert.equal(byName(prod, "hcloud-ssh").inputs.publicKey, publicKeyOf(TEST_SSH_KEY));
        const rules = byName(prod, "hcloud-firewall").inputs.rules as { protocol: string; port?: string }[];
        assert.deepEqual(rules.map((r) => `${r.protocol}/${r.port ?? "-"}`).sort(), ["icmp/-", "tcp/22", "udp/51820"]);
    });

    it("opens SSH to cluster.sshPrefixes only, in every host's firewall and the hcloud firewall; the default warns", async () => {
        const sshRule = (rs: RecordedResource[]) =>
            (byName(rs, "hcloud-firewall").inputs.rules as { port?: string; sourceIps: string[] }[]).find((r) => r.port === "22")!;
        const firewallOf = (rs: RecordedResource[], n: string) =>
            decodeInstalledFiles(byName(rs, `node-${n}-files`).inputs.create as string).get("/etc/v6k8s/host-firewall.nft")!.content;
        assert.deepEqual(sshRule(prod).sourceIps, ["::/0", "0.0.0.0/0"]);
        assert.match(firewallOf(prod, "cp1"), /^ {8}tcp dport 22 accept comment "ssh"$/m);

        const closed = prodConfig() as { cluster: Record<string, unknown> };
        closed.cluster = { ...closed.cluster, sshPrefixes: ["2001:db8:ad::/48", "198.51.100.0/24"] };
        const { value: run, warnings } = await capturingWarnings(() => runProgram(closed));
        assert.deepEqual(sshRule(run.resources).sourceIps, ["2001:db8:ad::/48", "198.51.100.0/24"]);
        for (const n of ["cp1", "w1", "w2"]) {
            const fw = firewallOf(run.resources, n);
            assert.match(fw, /^ {8}ip6 saddr \{ 2001:db8:ad::\/48 \} tcp dport 22 accept comment "ssh"$/m, n);
            assert.match(fw, /^ {8}ip saddr \{ 198\.51\.100\.0\/24 \} tcp dport 22 accept comment "ssh"$/m, n);
            assert.doesNotMatch(fw, /^ {8}tcp dport 22 accept/m, n);
        }
        assert.deepEqual(
            warnings.filter((w) => w.includes("sshPrefixes")),
            [],
        );

        const half = prodConfig() as { cluster: Record<string, unknown> };
        half.cluster = { ...half.cluster, sshPrefixes: ["::/0", "198.51.100.0/24"] };
        const opened = await capturingWarnings(() => runProgram(half));
        assert.ok(
            opened.warnings.some((w) => /cluster\.sshPrefixes opens SSH on every host to the whole IPv6 internet/.test(w)),
            opened.warnings.join("\n"),
        );
    });

    it("replacements work on hcloud: a new SSH key gets a new name, a server is deleted before its successor", async () => {
        const otherKey = generateKeyPairSync("ed25519", {
            privateKeyEncoding: { type: "pkcs8", format: "pem" },
            publicKeyEncoding: { type: "spki", format: "pem" },
        }).privateKey;
        const raw = threeNodes();
        raw.nodes.push(hcloud("h1", 4, ["worker"]));
        const before = (await sharedRun(raw)).resources;
        const after = (
            await sharedRun(raw, { secrets: { sshPrivateKey: otherKey, hcloudToken: "t".repeat(64), encryptionKey: TEST_ENCRYPTION_KEY } })
        ).resources;
        const [oldName, newName] = [before, after].map((rs) => byName(rs, "hcloud-ssh").inputs.name as string);
        assert.match(oldName, /^test-v6k8s-[0-9a-f]{8}$/);
        assert.match(newName, /^test-v6k8s-[0-9a-f]{8}$/);
        assert.notEqual(newName, oldName, "hcloud refuses a second SSH key with the old key's name");
        assert.deepEqual(byName(after, "hcloud-h1").inputs.name, "h1", "the server keeps the node's hostname");
        assert.equal(byName(after, "hcloud-h1").deleteBeforeReplace, true, "hcloud refuses a second server named h1");
        assert.equal(byName(after, "hcloud-ssh").deleteBeforeReplace, false, "the old key stays until the new one exists");
    });

    it("puts hcloud control-plane nodes in a spread placement group and buys IPv4 only where asked", async () => {
        const raw = threeNodes();
        raw.nodes.push(hcloud("h1", 4, ["control-plane"], { ipv4: true }), hcloud("h2", 5, ["control-plane"]));
        const { resources } = await sharedRun(raw);
        const group = resources.find((r) => r.type === "hcloud:index/placementGroup:PlacementGroup");
        assert.equal(group?.inputs.type, "spread");
        assert.ok(byName(resources, "hcloud-h1").inputs.placementGroupId !== undefined);
        assert.deepEqual(byName(resources, "hcloud-h1").inputs.publicNets, [{ ipv4Enabled: true, ipv6Enabled: true }]);
        assert.deepEqual(byName(resources, "hcloud-h2").inputs.publicNets, [{ ipv4Enabled: false, ipv6Enabled: true }]);
    });

    it("exports per node kind, prefixes, WireGuard key and endpoint (hcloud GUA from the server)", async () => {
        const nodes = (await resolve(prodOutputs.nodes as object[])) as Record<string, unknown>[];
        const cp1 = nodes.find((n) => n.name === "cp1")!;
        assert.equal(cp1.kind, "dedicated");
        assert.equal(cp1.wireguardPublicKey, fakePublicKey("node-cp1-wireguard-key"));
        assert.equal(cp1.wireguardEndpoint, "[2001:db8:10a:1f2e::2]:51820");
        assert.equal(cp1.ipv4, "203.0.113.10");
        const w2 = nodes.find((n) => n.name === "w2")!;
        assert.equal(w2.kind, "hcloud");
        assert.match(String(w2.gua), /^2001:db8:c0de:[0-9a-f]+::\/80$/);
        assert.match(String(w2.podGua), /^2001:db8:c0de:[0-9a-f]+:0:1::\/96$/);
        assert.doesNotMatch(JSON.stringify(nodes), /PRIVATE/);
    });

    it("adding a fourth node leaves the others' key and bootstrap resources unchanged, and adds it as a peer", async () => {
        const before = (await sharedRun(threeNodes())).resources;
        const raw = threeNodes();
        raw.nodes.push(dedicated("d", 4, ["worker"], "2001:db8:a:4::/64"));
        const after = (await sharedRun(raw)).resources;
        for (const host of ["a", "b", "c"]) {
            for (const step of ["files", "activate", "wireguard-key"]) {
                const name = `node-${host}-${step}`;
                assert.deepEqual(byName(after, name).inputs, byName(before, name).inputs, `${name} changed`);
            }
            const oldConf = decodeInstalledFiles(createOf(byName(before, `mesh-${host}`))).get(WG_CONF)!.content;
            const newConf = decodeInstalledFiles(createOf(byName(after, `mesh-${host}`))).get(WG_CONF)!.content;
            assert.equal(
                newConf,
                `${oldConf}\n[Peer]\n# d\nPublicKey = ${fakePublicKey("node-d-wireguard-key")}\nAllowedIPs = fd8a:31c2:7c1f:1:4::/80\nEndpoint = [2001:db8:a:4::2]:51820\n`,
            );
        }
        // Every host must learn the new peer, so its mesh step runs again with its whole wg0.conf
        // (README, "Measured": N² bytes per membership change); no other step on the existing hosts
        // does. (With a public service, the check that every apiserver allows the new host's address
        // as an externalIP runs again too: test/program/addons.test.ts; this stack has none.)
        const changed = before
            .filter((r) => r.type === COMMAND && JSON.stringify(byName(after, r.name).inputs) !== JSON.stringify(r.inputs))
            .map((r) => r.name);
        assert.deepEqual(changed.sort(), ["mesh-a", "mesh-b", "mesh-c"]);
    });

    it("removing a node removes its peer everywhere", async () => {
        const raw = threeNodes();
        raw.nodes = raw.nodes.filter((n) => n.name !== "c");
        const { resources } = await sharedRun(raw);
        assert.ok(!resources.some((r) => r.name.startsWith("node-c-") || r.name === "mesh-c"));
        for (const host of ["a", "b"]) {
            assert.doesNotMatch(decodeInstalledFiles(createOf(byName(resources, `mesh-${host}`))).get(WG_CONF)!.content, /# c\n/);
        }
    });

    it("previews without provider calls while hcloud values are unknown", async () => {
        const { resources, outputs } = await sharedRun(prodConfig(), { preview: true });
        assert.ok(resources.some((r) => r.name === "node-cp1-files"));
        assert.ok(resources.some((r) => r.name === "hcloud-w2"));
        const cluster = await resolve(outputs.cluster as object);
        assert.deepEqual(cluster, { ula: "fd8a:31c2:7c1f:1::/64", services: "fd8a:31c2:7c1f:1::/112", dns: "fd8a:31c2:7c1f:1::a" });
    });
});
