// The README's resource counts of the example stack (Pulumi.prod.yaml) come from the program, not
// from a memory of a run: the block between `<!-- counts:prod -->` and `<!-- /counts -->` must be
// exactly what this test derives from a preview under Pulumi mocks. What the real engine prints for
// `pulumi preview --stack prod` is that total (mocks see every resource but the Stack, which the
// engine counts, and the stack reference, which the engine reads instead of creating).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { projectKeys } from "../../components/config/stackFile";
import { PROJECT } from "../support/pulumiMocks";
import { RecordedResource } from "../support/pulumiMocks";
import { sharedRun } from "../support/sharedRuns";

const ROOT = path.join(__dirname, "..", "..");
const START = "<!-- counts:prod -->";
const END = "<!-- /counts -->";

/** The README block for these resources. */
function countsBlock(resources: readonly RecordedResource[]): string {
    const n = (test: (type: string) => boolean) => resources.filter((r) => test(r.type)).length;
    const is = (t: string) => (type: string) => type === t;
    const reads = n(is("pulumi:pulumi:StackReference"));
    const total = resources.length - reads + 1;
    const lines = [
        "```",
        "Resources:",
        `    + ${total} to create`,
        "```",
        "",
        `Of those: ${n(is("command:remote:Command"))} remote commands, ${n(is("command:local:Command"))} local commands; ` +
            `${n((t) => t.startsWith("tls:"))} tls resources (${n(is("tls:index/privateKey:PrivateKey"))} \`PrivateKey\`, ` +
            `${n(is("tls:index/certRequest:CertRequest"))} \`CertRequest\`, ${n(is("tls:index/locallySignedCert:LocallySignedCert"))} ` +
            `\`LocallySignedCert\`, ${n(is("tls:index/selfSignedCert:SelfSignedCert"))} \`SelfSignedCert\`); ` +
            `${n(is("hcloud:index/server:Server"))} hcloud servers, their SSH key and firewall; ` +
            `${n((t) => t.startsWith("kubernetes:"))} Kubernetes objects; ${n((t) => t.startsWith("pulumi:providers:"))} explicit providers ` +
            `(hcloud, kubernetes); ${n((t) => t.startsWith("v6k8s:"))} components; and the Stack. The previous run's outputs are ` +
            `read through ${reads} stack reference (a read, not a create).`,
    ];
    return lines.join("\n");
}

describe("README: the example stack's resource counts", function () {
    this.timeout(180_000);

    it("are what the program declares for Pulumi.prod.yaml (a preview under mocks)", async () => {
        const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8"));
        const { resources } = await sharedRun(projectKeys(doc.config, PROJECT), { preview: true });
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const [a, b] = [readme.indexOf(START), readme.indexOf(END)];
        assert.ok(a >= 0 && b > a, `README.md has no ${START} ... ${END} block`);
        const expected = countsBlock(resources);
        assert.equal(readme.slice(a + START.length, b).trim(), expected, `README.md's counts block must read:\n${expected}`);
    });
});
