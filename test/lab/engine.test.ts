// The lab's reading of the engine's output: the "Resources:" summary of `pulumi up` as the CLI
// prints it (replacements are "+-N replaced", without a space).
import { strict as assert } from "assert";
import { diagnostics, resourceSummary } from "../../lab/engine/engine";

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
