// The lab's reading of the engine's output: the "Resources:" summary of `pulumi up` as the CLI
// prints it (replacements are "+-N replaced", without a space).
import { strict as assert } from "assert";
import { diagnostics, engineSteps, resourceSummary } from "../../lab/engine/engine";

describe("lab engine: pulumi up's resource summary", () => {
    it("reads created, updated, replaced, deleted and unchanged counts from the last Resources block", () => {
        assert.deepEqual(
            resourceSummary("Previewing...\nResources:\n    + 3 to create\n\nUpdating...\nResources:\n    + 198 created\n\nDuration: 1m"),
            {
                created: 198,
            },
        );
        assert.deepEqual(resourceSummary("Resources:\n    +-46 replaced\n    152 unchanged\n"), { replaced: 46, unchanged: 152 });
        assert.deepEqual(resourceSummary("Resources:\n    ~ 1 updated\n    - 2 deleted\n    195 unchanged\n"), {
            updated: 1,
            deleted: 2,
            unchanged: 195,
        });
        assert.deepEqual(resourceSummary("no summary at all"), {});
    });
});

describe("lab engine: what a failed pulumi up says", () => {
    it("is its Diagnostics block, without the plugins-on-PATH warnings; the output's end without one", () => {
        const out = [
            "Updating (lab):",
            " +  command:remote:Command node-w2-files creating failed",
            "Diagnostics:",
            "  pulumi:pulumi:Stack (v6k8s-lab):",
            "    warning: using pulumi-resource-tls from $PATH at /x/pulumi-resource-tls",
            "    error: update failed",
            "",
            "  command:remote:Command (node-w2-files):",
            "    error: after 30 failed attempts: ssh: handshake failed: ssh: host key mismatch",
            "",
            "Outputs:",
            "    nodes: []",
            "Resources:",
            "    2 errored",
        ].join("\n");
        const d = diagnostics(out);
        assert.match(d, /^Diagnostics:/);
        assert.match(d, /host key mismatch/);
        assert.doesNotMatch(d, /pulumi-resource-tls|Outputs:|nodes:/);
        assert.equal(diagnostics("no block here"), "no block here");
    });
});

describe("lab engine: the resources a run changed", () => {
    it("reads each changed resource once from the progress lines, a replacement as one step (real CLI 3.274 output)", () => {
        const out = [
            " +  command:local:Command new creating (0s) ",
            " ~  command:local:Command upd updated (0.01s) [diff: ~create]",
            " ++ command:local:Command rep created replacement (0.01s) [diff: ]",
            " +- command:local:Command rep replacing (0s) [diff: ]",
            " +- command:local:Command rep replaced (0.00s) [diff: ]",
            " +  command:local:Command new created (0.01s) ",
            " -  command:local:Command gone deleting (0s) ",
            " -- command:local:Command rep deleting original (0s) [diff: ]",
            " -  command:local:Command gone deleted (0.00s) ",
            " -- command:local:Command rep deleted original (0.01s) [diff: ]",
            " +  kubernetes:core/v1:Service svc-hello created (1s) ",
            "    pulumi:pulumi:Stack selfref-dev  2 warnings",
            " +  pulumi:pulumi:Stack selfref-dev created (1s) 1 warning",
            "Resources:",
            "    + 1 created",
        ].join("\n");
        assert.deepEqual(engineSteps(out), [
            { op: "updated", type: "command:local:Command", name: "upd" },
            { op: "replaced", type: "command:local:Command", name: "rep" },
            { op: "created", type: "command:local:Command", name: "new" },
            { op: "deleted", type: "command:local:Command", name: "gone" },
            { op: "created", type: "kubernetes:core/v1:Service", name: "svc-hello" },
        ]);
    });
});
