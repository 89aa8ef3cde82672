// The encryption key's rotation order: pure (the previous run's key names against the new ones),
// then under Pulumi mocks (the previous run's `encryptionKeys` output through the stack
// reference): a step taken too early is refused before any control-plane step, the right order
// passes, and the control plane waits for the verdict.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { encryptionKeyName, rotationProblems } from "../../components/config/encryptionKey";
import { baseConfig } from "../support/fixtures";
import { OutputsFor, TEST_ENCRYPTION_KEY, TEST_SSH_KEY, resolve, runProgram } from "../support/pulumiMocks";
import { resourceNamed as get, unwrapSecret as unwrap } from "../support/recorded";

const key = (fill: string) => Buffer.alloc(32, fill).toString("base64");
const [A, B] = [key("a"), key("b")];
const [a, b] = [encryptionKeyName(A), encryptionKeyName(B)];

describe("encryption key rotation order (config/encryptionKey.ts rotationProblems)", () => {
    it("allows the three runs in order, a first run, and an unchanged writer; refuses a new writer nobody can read yet and dropping the old writer early", () => {
        const table: [unknown, string[], RegExp[]][] = [
            [undefined, [a], []],
            [[], [b, a], []],
            [[a], [a], []],
            // 1. the new key second: a reader everywhere.
            [[a], [a, b], []],
            // 2. then first: every apiserver could already read it.
            [[a, b], [b, a], []],
            // 3. then the old one goes.
            [[b, a], [b], []],
            // Too early: the new key first at once (an apiserver not yet restarted cannot read it) ...
            [[a], [b, a], [/its first key .* was not a key of the previous `pulumi up`/]],
            // ... or even dropping the old one in the same run ...
            [[a], [b], [/was not a key of the previous/, /drops the key Secrets were written with until now/]],
            // ... or dropping the old writer while making the reader the writer.
            [[a, b], [b], [/drops the key Secrets were written with until now/]],
        ];
        for (const [before, now, want] of table) {
            const got = rotationProblems(before, now);
            assert.equal(got.length, want.length, `${JSON.stringify(before)} -> ${JSON.stringify(now)}: ${got.join("; ")}`);
            want.forEach((re, i) => {
                assert.match(got[i], /^encryptionKey: /);
                assert.match(got[i], re);
            });
        }
    });
});

describe("encryption key rotation under Pulumi mocks", function () {
    this.timeout(180_000);
    const previous =
        (encryptionKeys: string[]): OutputsFor =>
        (r) =>
            r.type === "pulumi:pulumi:StackReference" ? { outputs: { encryptionKeys } } : {};
    const secrets = (encryptionKey: string) => ({ sshPrivateKey: TEST_SSH_KEY, hcloudToken: "t".repeat(64), encryptionKey });

    it("a new writer nobody could read in the previous run is refused before anything runs, naming the key and the way out", async () => {
        await assert.rejects(
            runProgram(baseConfig(), { secrets: secrets(`${B},${A}`), outputs: previous([a]) }),
            /refused:\n {2}- encryptionKey: its first key \(the one new Secrets are written with\) was not a key of the previous `pulumi up`/,
        );
    });

    it("the right order passes; every control-plane node's first step waits for the verdict; the names are an output, not secret", async () => {
        const { resources, outputs } = await runProgram(baseConfig(), { secrets: secrets(`${B},${A}`), outputs: previous([a, b]) });
        const gate = get(resources, "encryption-rotation-checked");
        assert.equal(gate.type, "command:local:Command");
        const preflight = get(resources, "k8s-cp1-preflight").dependsOn;
        assert.ok(preflight.includes("encryption-rotation-checked") && preflight.includes("encryption-rewritten"), preflight.join(", "));
        // Where the keys' use in etcd is checked: the first control-plane node, over its connection.
        const rewritten = get(resources, "encryption-rewritten");
        assert.equal((unwrap(rewritten.inputs.connection) as { host: string }).host, "2001:db8:a:1::2");
        assert.match(rewritten.inputs.create as string, new RegExp(`one of this run's keys: ${b}, ${a}`));
        assert.deepEqual(await resolve(outputs.encryptionKeys as object), [b, a]);
        assert.equal(
            await pulumi.isSecret(outputs.encryptionKeys as pulumi.Output<string[]>),
            false,
            "key names are hashes, kept in plain sight",
        );
        // The first run of a stack (no previous output) passes too, and asks etcd nothing.
        const first = await runProgram(baseConfig(), { secrets: secrets(TEST_ENCRYPTION_KEY) });
        assert.match(get(first.resources, "encryption-rewritten").inputs.create as string, /the first run: no Secret is stored yet/);
    });
});
