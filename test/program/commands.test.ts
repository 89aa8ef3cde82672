// Properties every remote command must have, whatever it does, checked on every command of the
// program under mocks that behave like the engine: outputs named in additionalSecretOutputs are
// secrets, and in preview every computed output is unknown (a fresh stack).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { projectKeys } from "../../components/config/stackFile";
import { PROJECT, RecordedResource, SECRET_SIG, UNKNOWN, runProgram } from "../support/pulumiMocks";

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

const isUnknown = (v: unknown) => v === UNKNOWN || (typeof v === "object" && v !== null && "__pulumiUnknown" in v);

describe("every remote command, under engine-like mocks", () => {
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
        for (const c of commands("update")) {
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

    it("no component keeps a secret among its inputs (the token and SSH key stay with the resources that use them)", () => {
        const bad = runs.update.filter((r) => r.type.startsWith("v6k8s:")).flatMap((r) => secretsIn(r.inputs).map((p) => `${r.name}${p}`));
        assert.deepEqual(bad, []);
    });

    it("preview declares the same dependencies as an update (no dependsOn is lost to an unknown)", () => {
        const deps = (mode: string) => new Map(runs[mode].map((r) => [`${r.type}::${r.name}`, [...r.dependsOn].sort()]));
        assert.deepEqual(deps("preview"), deps("update"));
    });
});
