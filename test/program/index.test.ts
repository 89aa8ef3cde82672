import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { projectKeys } from "../../components/config/stackFile";
import { runMain } from "../support/cli";
import { baseConfig } from "../support/fixtures";
import { PROJECT, resolve, runProgram } from "../support/pulumiMocks";
import { sharedRun } from "../support/sharedRuns";

function prodConfig(): Record<string, unknown> {
    const doc = parse(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.prod.yaml"), "utf8"));
    return projectKeys(doc.config, PROJECT);
}

describe("index.ts under Pulumi mocks (Pulumi.prod.yaml)", function () {
    // Each run declares the whole program; on a loaded machine two runs in one test exceed the default.
    this.timeout(180_000);
    for (const preview of [false, true]) {
        describe(preview ? "preview" : "update", () => {
            it("exports the address plan, equal to `npm run plan --json`", async () => {
                const { outputs } = await sharedRun(prodConfig(), { preview });
                const cli = JSON.parse(runMain("plan.ts", ["--config", "Pulumi.prod.yaml", "--json"]).stdout);
                assert.deepEqual(await resolve(outputs.cluster as object), cli.cluster);
                const nodes = (await resolve(outputs.nodes as object[])) as { name: string }[];
                for (const expected of cli.nodes) {
                    const actual = nodes.find((n) => n.name === expected.name);
                    assert.ok(actual, `node ${expected.name} missing from outputs`);
                    for (const key of ["index", "roles", "ula", "wireguard", "podUla", "nat64"]) {
                        assert.deepEqual((actual as Record<string, unknown>)[key], expected[key], `${expected.name}.${key}`);
                    }
                }
                assert.deepEqual(await resolve(outputs.nat64Prefixes as string[]), ["fd8a:31c2:7c1f:1:1:64::/96"]);
            });
        });
    }

    it("fails with the config problems, naming the key, before declaring any resource", async () => {
        const raw = baseConfig();
        raw.nodes[1].index = 1;
        await assert.rejects(runProgram(raw), (e: Error) => {
            assert.equal(e.constructor.name, "RunError");
            assert.match(e.message, /nodes\[1\]\.index: 1 is already used by node "cp1"/);
            return true;
        });
    });

    it("names a missing secret", async () => {
        await assert.rejects(
            runProgram(baseConfig(), { secrets: { sshPrivateKey: "k" } }),
            /hcloudToken: is required: pulumi config set --secret hcloudToken/,
        );
        await assert.rejects(
            runProgram(baseConfig(), { secrets: { sshPrivateKey: "k", hcloudToken: "t" } }),
            /encryptionKey: is required: head -c 32 \/dev\/urandom \| base64 \| pulumi config set --secret encryptionKey/,
        );
        await assert.rejects(
            runProgram(baseConfig(), {
                secrets: { sshPrivateKey: "k", hcloudToken: "t", encryptionKey: Buffer.alloc(24).toString("base64") },
            }),
            /encryptionKey: the key is 24 bytes, secretbox needs exactly 32/,
        );
    });
});
