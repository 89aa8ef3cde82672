// Properties every remote command must have, whatever it does, checked on every command of the
// program under mocks that behave like the engine: outputs named in additionalSecretOutputs are
// secrets, and in preview every computed output is unknown (a fresh stack).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { generateKeyPairSync } from "crypto";
import { projectKeys } from "../../components/config/stackFile";
import { NOTHING_TO_REAPPLY } from "../../components/hosts/render/commands";
import { sha256 } from "../../components/common/hash";
import { fakeHostKey } from "../support/hostKeys";
import {
    PROJECT,
    RecordedResource,
    SECRET_SIG,
    TEST_ENCRYPTION_KEY,
    TEST_SSH_KEY,
    UNKNOWN,
    defaultOutputs,
    isMembershipCommand,
    runProgram,
} from "../support/pulumiMocks";
import { unwrapSecret as unwrap } from "../support/recorded";

const COMMAND = "command:remote:Command";

function prodConfig(): Record<string, unknown> {
    const doc = parse(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.prod.yaml"), "utf8"));
    return projectKeys(doc.config, PROJECT);
}

/** Where in `value` a secret wrapper sits (paths), empty when none. */
function secretsIn(value: unknown, at = ""): string[] {
    if (Array.isArray(value)) return value.flatMap((v, i) => secretsIn(v, `${at}[${i}]`));
    if (value && typeof value === "object") {
        if (SECRET_SIG in value) return [at || "(value)"];
        return Object.entries(value).flatMap(([k, v]) => secretsIn(v, `${at}.${k}`));
    }
    return [];
}

/** The ways a key could show in a command's text: PEM markers, its PEM body, its base64. */
function keyTraces(pem: string): string[] {
    const body = pem
        .split("\n")
        .filter((l) => l && !l.startsWith("-----"))
        .join("\n");
    return [Buffer.from(pem).toString("base64"), body];
}

const isUnknown = (v: unknown) => v === UNKNOWN || (typeof v === "object" && v !== null && "__pulumiUnknown" in v);

describe("every remote command, under engine-like mocks", function () {
    // Each run declares the whole program; on a loaded machine two runs in one test exceed the default.
    this.timeout(180_000);
    const runs: Record<string, RecordedResource[]> = {};
    before(async () => {
        runs.update = (await runProgram(prodConfig())).resources;
        runs.preview = (await runProgram(prodConfig(), { preview: true, unknowns: true })).resources;
    });
    const commands = (mode: string) => runs[mode].filter((r) => r.type === COMMAND);

    for (const mode of ["update", "preview"]) {
        it(`${mode}: no trigger is a secret, known or unknown (the command plugin rejects a secret trigger at preview)`, () => {
            assert.ok(commands(mode).length > 50, "the prod stack declares its commands");
            const bad = commands(mode).flatMap((c) => secretsIn(c.inputs.triggers).map((p) => `${c.name}: triggers${p}`));
            assert.deepEqual(bad, []);
        });
    }

    it("update: every trigger is a plain sha256 (or a host identity), never key material", () => {
        // The membership commands have no triggers at all (test/program/membership.test.ts).
        for (const c of commands("update").filter((x) => !isMembershipCommand(x.name))) {
            const triggers = c.inputs.triggers as unknown[];
            assert.ok(Array.isArray(triggers) && triggers.length > 0, `${c.name} has triggers`);
            for (const t of triggers) assert.equal(typeof t, "string", `${c.name}: trigger ${JSON.stringify(t)}`);
        }
    });

    it("preview: the engine's unknowns reach the commands that wait on them (the mocks are engine-like)", () => {
        const byName = (n: string) => commands("preview").find((c) => c.name === n)!;
        assert.ok(isUnknown(byName("mesh-cp1").inputs.create), "mesh-cp1 waits for WireGuard keys made on the hosts");
        assert.ok(!isUnknown(byName("node-cp1-files").inputs.create), "a dedicated host's own files are known");
    });

    it("no command text (create, update, delete) holds key material; keys go on stdin, as a secret", () => {
        const keys = runs.update
            .filter((r) => r.type === "tls:index/privateKey:PrivateKey")
            .map((r) => String(defaultOutputs(r).privateKeyPem));
        assert.ok(keys.length > 30, "the mock PKI made its keys");
        const traces = [...keys, TEST_SSH_KEY].flatMap(keyTraces);
        for (const c of commands("update")) {
            for (const field of ["create", "update", "delete"]) {
                const text = unwrap(c.inputs[field]);
                if (text === undefined) continue;
                assert.equal(typeof text, "string", `${c.name}.${field}`);
                assert.doesNotMatch(text as string, /-----BEGIN [A-Z ]*PRIVATE KEY-----|PRIVATE KEY/, `${c.name}.${field} holds a PEM key`);
                for (const t of traces) assert.ok(!(text as string).includes(t), `${c.name}.${field} holds a key (${t.slice(0, 20)}…)`);
            }
            if (c.inputs.stdin !== undefined) assert.deepEqual(secretsIn(c.inputs.stdin), ["(value)"], `${c.name}: stdin is a secret`);
        }
        // The check can see a key: the pki step's stdin holds cp1's own etcd peer key.
        const stdin = String(unwrap(commands("update").find((c) => c.name === "k8s-cp1-pki")!.inputs.stdin));
        const peerKey = keys.find((k) => k.includes("FAKE k8s-pki-cp1-etcd-peer-g0-key"))!;
        assert.ok(stdin.includes(keyTraces(peerKey)[0]));
    });

    it("every command's triggers hash its create (and stdin), so its no-op `update` runs only for a connection change", () => {
        for (const c of commands("update")) {
            // No triggers: never replaced, so any change of theirs is an update, which runs nothing.
            if (isMembershipCommand(c.name)) {
                assert.equal(c.inputs.triggers, undefined, c.name);
                assert.equal(unwrap(c.inputs.update), NOTHING_TO_REAPPLY, `${c.name}: update`);
                continue;
            }
            const triggers = c.inputs.triggers as string[];
            assert.ok(triggers.includes(sha256(String(unwrap(c.inputs.create)))), `${c.name}: a trigger hashes its create`);
            if (c.inputs.stdin !== undefined)
                assert.ok(triggers.includes(sha256(String(unwrap(c.inputs.stdin)))), `${c.name}: a trigger hashes its stdin`);
            // The key step's stdout feeds the mesh: its update prints the key again (the script keeps it).
            const update = c.name.endsWith("-wireguard-key") ? unwrap(c.inputs.create) : NOTHING_TO_REAPPLY;
            assert.equal(unwrap(c.inputs.update), update, `${c.name}: update`);
        }
    });

    it("a new SSH key changes no command's triggers, create or stdin: only the connection (an update, which re-applies nothing)", async () => {
        const otherKey = generateKeyPairSync("ed25519", {
            privateKeyEncoding: { type: "pkcs8", format: "pem" },
            publicKeyEncoding: { type: "spki", format: "pem" },
        }).privateKey;
        const after = (
            await runProgram(prodConfig(), {
                secrets: { sshPrivateKey: otherKey, hcloudToken: "t".repeat(64), encryptionKey: TEST_ENCRYPTION_KEY },
            })
        ).resources.filter((r) => r.type === COMMAND);
        assert.equal(after.length, commands("update").length);
        for (const c of commands("update")) {
            const d = after.find((x) => x.name === c.name)!;
            for (const field of ["triggers", "create", "stdin", "update"])
                assert.deepEqual(d.inputs[field], c.inputs[field], `${c.name}.${field}`);
            assert.notDeepEqual(d.inputs.connection, c.inputs.connection, `${c.name}: the new key is used`);
            // Without an `update`, pulumi-command runs `create` again on any input change.
            assert.notEqual(d.inputs.update, undefined, `${c.name}: a connection change runs its update, not its create`);
        }
    });

    it("a new machine re-runs every step on it and no other host's: a dedicated server's new host key, a replaced hcloud server", async () => {
        const raw = prodConfig();
        const nodes = raw.nodes as Record<string, unknown>[];
        nodes.find((n) => n.name === "cp2")!.hostKey = `${fakeHostKey("cp2 reinstalled")} root@cp2`;
        const reinstalled = (await runProgram(raw)).resources.filter((r) => r.type === COMMAND);
        const replaced = (await runProgram(prodConfig(), { id: (r) => (r.name === "hcloud-w3" ? "4242" : undefined) })).resources.filter(
            (r) => r.type === COMMAND,
        );
        const onHost = (name: string, host: string) => name.endsWith(`-${host}`) || name.includes(`-${host}-`);
        for (const [host, after] of [
            ["cp2", reinstalled],
            ["w3", replaced],
        ] as const) {
            for (const c of commands("update")) {
                const changed = JSON.stringify(after.find((x) => x.name === c.name)!.inputs.triggers) !== JSON.stringify(c.inputs.triggers);
                // The cluster-wide readiness check re-runs after a control-plane node is re-applied.
                // A new machine is the same member of the cluster: its membership commands stay,
                // and its kubelet is installed at the release: nothing to drain or uncordon.
                const anchored = isMembershipCommand(c.name) || /-(drain|uncordon)$/.test(c.name);
                const expected = (onHost(c.name, host) && !anchored) || (host === "cp2" && c.name === "k8s-control-plane-ready");
                assert.equal(changed, expected, `${host}: ${c.name} ${expected ? "re-runs" : "stays"}`);
            }
        }
    });

    it("no component keeps a secret among its inputs (the token and SSH key stay with the resources that use them)", () => {
        const bad = runs.update.filter((r) => r.type.startsWith("v6k8s:")).flatMap((r) => secretsIn(r.inputs).map((p) => `${r.name}${p}`));
        assert.deepEqual(bad, []);
    });

    it("preview declares the same dependencies as an update (no dependsOn is lost to an unknown)", () => {
        const deps = (mode: string) => new Map(runs[mode].map((r) => [`${r.type}::${r.name}`, [...r.dependsOn].sort()]));
        assert.deepEqual(deps("preview"), deps("update"));
    });
});
