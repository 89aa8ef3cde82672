// SSH host keys under Pulumi mocks: every connection pins its host's key (a dedicated server's from
// config, an hcloud server's made by the program and handed to it as secret cloud-init user data),
// and the hcloud private keys never show outside a secret.
import { strict as assert } from "assert";
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { projectKeys } from "../../components/config/stackFile";
import { baseConfig, hcloud } from "../support/fixtures";
import { fakeHostKey } from "../support/hostKeys";
import { PROJECT, RecordedResource, TEST_ENCRYPTION_KEY, defaultOutputs, resolve, runProgram } from "../support/pulumiMocks";
import { sharedRun } from "../support/sharedRuns";
import { isSecret, resourceNamed as byName, stringsOf, unwrapSecret as unwrap } from "../support/recorded";

const COMMAND = "command:remote:Command";
const SERVER = "hcloud:index/server:Server";

function prodConfig(): Record<string, unknown> {
    const doc = parse(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.prod.yaml"), "utf8"));
    return projectKeys(doc.config, PROJECT);
}

/** The hcloud host keys the mock tls provider made: name -> { private, public }. */
function hcloudHostKeys(resources: readonly RecordedResource[]) {
    return new Map(
        resources
            .filter((r) => r.type === SERVER)
            .map((s) => {
                const key = byName(resources, `hcloud-${String(s.inputs.name)}-host-key`);
                const out = defaultOutputs(key);
                return [
                    String(s.inputs.name),
                    { key, privateKey: String(out.privateKeyOpenssh), publicKey: String(out.publicKeyOpenssh).trim() },
                ];
            }),
    );
}

/** The ways a private key could show: its text, its body without the armour lines, its base64. */
function traces(pem: string): string[] {
    const body = pem
        .split("\n")
        .filter((l) => l && !l.startsWith("-----"))
        .join("\n");
    return [pem.trim(), body, Buffer.from(pem).toString("base64")];
}

describe("SSH host keys under Pulumi mocks", function () {
    this.timeout(180_000);
    let prod: readonly RecordedResource[];
    let prodOutputs: Record<string, unknown>;
    before(async () => {
        ({ resources: prod, outputs: prodOutputs } = await sharedRun(prodConfig()));
    });

    it("every command's connection pins its host's key: a dedicated server's from config, an hcloud server's made for it", async () => {
        const expected = new Map<string, string>();
        for (const n of prodConfig().nodes as Record<string, unknown>[]) {
            if (n.kind === "dedicated") expected.set(String(n.name), String(n.hostKey));
        }
        // The mock tls provider's public key of `hcloud-<node>-host-key`.
        for (const s of prod.filter((r) => r.type === SERVER))
            expected.set(String(s.inputs.name), fakeHostKey(`hcloud-${String(s.inputs.name)}-host-key`));
        assert.equal(expected.size, 6, "every prod node has an expected key");
        // Which host a command runs on, by the address it connects to.
        const nodes = (await resolve(prodOutputs.nodes as object[])) as { name: string; publicAddress: string; hostKey: string }[];
        const byAddress = new Map(nodes.map((n) => [n.publicAddress, n.name]));
        const commands = prod.filter((r) => r.type === COMMAND);
        assert.ok(commands.length > 50);
        const seen = new Set<string>();
        for (const c of commands) {
            const conn = unwrap(c.inputs.connection) as { host: string; hostKey?: string };
            const host = byAddress.get(conn.host);
            assert.ok(host, `${c.name} connects to ${conn.host}, no node's address`);
            assert.equal(conn.hostKey, expected.get(host), `${c.name} pins ${host}'s host key`);
            seen.add(host);
        }
        assert.equal(seen.size, 6, "commands run on every host");
        // The stack output lists the pinned keys (for known_hosts).
        for (const n of nodes) assert.equal(n.hostKey, expected.get(n.name), `nodes output: ${n.name}.hostKey`);
    });

    it("an hcloud server gets its host key only through secret user data: cloud-init installs it and keeps no other key", () => {
        const keys = hcloudHostKeys(prod);
        assert.deepEqual([...keys.keys()].sort(), ["w2", "w3"]);
        for (const [name, k] of keys) {
            assert.equal(k.key.inputs.algorithm, "ED25519", `${name}'s host key`);
            const server = byName(prod, `hcloud-${name}`);
            assert.ok(isSecret(server.inputs.userData), `hcloud-${name}: userData is a secret input`);
            assert.ok(server.additionalSecretOutputs?.includes("userData"), `hcloud-${name}: its userData output is a secret too`);
            const text = String(unwrap(server.inputs.userData));
            assert.ok(text.startsWith("#cloud-config\n"), text.slice(0, 40));
            const doc = parse(text) as Record<string, unknown>;
            assert.deepEqual(doc, {
                ssh_deletekeys: true,
                ssh_genkeytypes: [],
                ssh_keys: { ed25519_private: k.privateKey, ed25519_public: k.publicKey },
            });
        }
        // Nowhere else: no resource input holds an hcloud host private key outside a secret.
        const secrets = [...keys.values()].flatMap((k) => traces(k.privateKey));
        for (const r of prod) {
            for (const { text, secret } of stringsOf(r.inputs)) {
                if (secrets.some((t) => text.includes(t))) assert.ok(secret, `${r.name} holds an hcloud host private key outside a secret`);
            }
        }
    });

    it("no command's text, stdin, triggers or connection carries an hcloud host private key, nor any stack output", async () => {
        const secrets = [...hcloudHostKeys(prod).values()].flatMap((k) => traces(k.privateKey));
        assert.ok(secrets.length >= 6, "the hcloud servers have host keys to look for");
        for (const c of prod.filter((r) => r.type === COMMAND)) {
            for (const field of ["create", "update", "delete", "stdin", "triggers", "connection", "environment"]) {
                const text = JSON.stringify(c.inputs[field] ?? null);
                for (const t of secrets)
                    assert.ok(!text.includes(JSON.stringify(t).slice(1, -1)), `${c.name}.${field} carries a host private key`);
            }
        }
        const outputs = JSON.stringify(await resolve(prodOutputs as never));
        for (const t of secrets) assert.ok(!outputs.includes(JSON.stringify(t).slice(1, -1)), "a stack output carries a host private key");
    });

    it("the user data is made of the host key alone: a new SSH key or another node leaves it (and so the server) as it was", async () => {
        const raw = baseConfig();
        const before = (await sharedRun(raw)).resources;
        raw.nodes.push(hcloud("w9", 19, ["worker"]));
        const otherKey = generateKeyPairSync("ed25519", {
            privateKeyEncoding: { type: "pkcs8", format: "pem" },
            publicKeyEncoding: { type: "spki", format: "pem" },
        }).privateKey;
        const after = (
            await sharedRun(raw, { secrets: { sshPrivateKey: otherKey, hcloudToken: "t".repeat(64), encryptionKey: TEST_ENCRYPTION_KEY } })
        ).resources;
        assert.deepEqual(byName(after, "hcloud-w2").inputs.userData, byName(before, "hcloud-w2").inputs.userData);
        assert.deepEqual(byName(after, "hcloud-w2-host-key").inputs, byName(before, "hcloud-w2-host-key").inputs);
        assert.notDeepEqual(
            byName(after, "hcloud-w9").inputs.userData,
            byName(after, "hcloud-w2").inputs.userData,
            "each server has its own key",
        );
    });

    it("a dedicated node without hostKey is a config error naming the key and where to read it, before any resource is declared", async () => {
        const raw = baseConfig();
        delete raw.nodes[1].hostKey;
        const declared: string[] = [];
        await assert.rejects(
            runProgram(raw, {
                outputs: (r) => {
                    declared.push(r.name);
                    return {};
                },
            }),
            (e: Error) => {
                assert.match(e.message, /nodes\[1\]\.hostKey: is required: .*ssh-keyscan -t ed25519 2001:db8:a:2::2/);
                return true;
            },
        );
        assert.deepEqual(declared, []);
    });
});
