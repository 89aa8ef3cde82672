import { strict as assert } from "assert";
import { RawConfig, dedicated } from "../support/fixtures";
import { RecordedResource, resolve, runProgram } from "../support/pulumiMocks";
import { sharedRun } from "../support/sharedRuns";
import { capturingWarnings } from "../support/warnings";

function small(): RawConfig {
    return {
        cluster: { ulaPrefix: "fd8a:31c2:7c1f:1::/64", kubernetesVersion: "1.34.2", adminPrefixes: ["2001:db8:ad::/48"] },
        nodes: [
            dedicated("cp1", 1, ["control-plane"], "2001:db8:a:1::/64"),
            dedicated("cp2", 2, ["control-plane"], "2001:db8:a:2::/64"),
            dedicated("cp3", 3, ["control-plane"], "2001:db8:a:3::/64"),
            dedicated("w1", 11, ["worker"], "2001:db8:b:1::/64"),
        ],
    };
}

const HOUR = 3_600_000;
const LEAF = "tls:index/locallySignedCert:LocallySignedCert";

describe("certificate expiry under Pulumi mocks", function () {
    this.timeout(180_000);

    it("exports every node's earliest certificate expiry, a year out by default", async () => {
        const { outputs, resources, startedAt: before } = await sharedRun(small());
        const expiry = (await resolve(outputs.certificateExpiry as Record<string, string>))!;
        assert.deepEqual(Object.keys(expiry), ["cp1", "cp2", "cp3", "w1"]);
        for (const [node, end] of Object.entries(expiry)) {
            assert.match(end, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, node);
            const ms = Date.parse(end);
            assert.ok(ms >= before + 8760 * HOUR - 2000 && ms <= Date.now() + 8760 * HOUR, `${node}: ${end}`);
        }
        // The renewal window the warning uses is the one the certificates are issued with.
        const leaves = resources.filter((r) => r.type === LEAF);
        assert.ok(leaves.length > 0);
        for (const r of leaves) assert.equal(r.inputs.earlyRenewalHours, 876, r.name);
    });

    it("the expiry is the earliest of the node's certificates, and `pulumi up` warns naming the node and the time", async () => {
        const soon = new Date(Date.now() + 48 * HOUR).toISOString().replace(/\.\d{3}Z$/, "Z");
        const later = new Date(Date.now() + 4000 * HOUR).toISOString().replace(/\.\d{3}Z$/, "Z");
        const outputs = (r: RecordedResource) => {
            if (r.type !== LEAF) return {};
            if (r.name === "k8s-pki-w1-kubelet-serving-g0") return { validityEndTime: soon, readyForRenewal: true };
            if (r.name === "k8s-pki-cp2-etcd-peer-g0") return { validityEndTime: later };
            return {};
        };
        const { value: expiry, warnings } = await capturingWarnings(async () => {
            const run = await runProgram(small(), { outputs });
            return (await resolve(run.outputs.certificateExpiry as Record<string, string>))!;
        });
        assert.equal(expiry.w1, soon);
        assert.equal(expiry.cp2, later, "outside the window: exported, no warning");
        const mine = warnings.filter((w) => w.includes("renewal window"));
        assert.equal(mine.length, 1, mine.join("\n"));
        assert.match(mine[0], new RegExp(`node w1: a certificate expires at ${soon}, inside its 876 h renewal window`));
    });

    it("preview with unknown certificates: the output is unknown and nothing warns", async () => {
        const { value: expiry, warnings } = await capturingWarnings(async () => {
            const run = await runProgram(small(), { preview: true, unknowns: true });
            return resolve(run.outputs.certificateExpiry as Record<string, string>);
        });
        assert.equal(expiry, undefined);
        assert.deepEqual(
            warnings.filter((w) => w.includes("renewal window")),
            [],
        );
    });
});
