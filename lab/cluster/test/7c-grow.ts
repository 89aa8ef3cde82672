// Cluster check 7c: growing the cluster with one `pulumi up` of an edited stack (lab:apply): a new
// worker w2 that is also one of the public service's hosts. The lab gives the new node a machine
// (as hcloud would create a server); the engine does the rest. Its public address enters the
// externalIPs policy and the Service in the same run, so the Service must wait until every
// apiserver enforces the new policy (the real engine once saw the Service refused, 133 ms after the
// policy update, by an apiserver still on the old list): one apply must do. Then the stack as it
// was is applied again, and w2 leaves (its machine stays, as a Robot server's would).
import { strict as assert } from "assert";
import { diagnostics } from "../../engine/engine";
import { Scalar, YAMLMap, YAMLSeq } from "yaml";
import { testLog } from "../../owner";
import { eventually } from "../../run";
import { HELLO_PAGE, fromInternet } from "../checks";
import { stackVariant, applyToLab } from "../labApply";
import { kubectl } from "../operator";
import { cluster, hostNamed, labState, operator } from "../session";
import { LAB_STACK_FILE } from "../ssh";
import { waitNodesReady } from "../up";

const NEW = "w2";

/** Pulumi.lab.yaml plus worker w2 (index 12, its own /64), and w2 among the hello service's hosts. */
function withW2(): string {
    return stackVariant("grow-w2", (doc, key) => {
        const nodes = doc.getIn(["config", key("nodes")]) as YAMLSeq<YAMLMap>;
        const placeholder = String((nodes.items[0] as YAMLMap).get("hostKey"));
        nodes.add(
            doc.createNode({
                name: NEW,
                index: 12,
                kind: "dedicated",
                roles: ["worker"],
                gua: "2001:db8:1:c::/64",
                // Replaced by the key of the machine the lab makes for it (labApply.ts).
                hostKey: placeholder,
            }),
        );
        const services = doc.getIn(["config", key("services")]) as YAMLSeq<YAMLMap>;
        const hello = services.items.find((s) => String(s.get("name")) === "hello")!;
        (hello.get("hosts") as YAMLSeq<Scalar>).add(doc.createNode(NEW));
    });
}

describe("cluster 7c. growing: a worker that is also a public service's host, in one pulumi up", function () {
    this.timeout(20 * 60_000);

    it("one `pulumi up` adds w2 (a machine first), every node Ready, the service answers on w2's public address", async () => {
        const c = cluster();
        const r = await applyToLab(c, withW2());
        testLog(`pulumi up with w2: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
        assert.equal(r.code, 0, `the first pulumi up failed:\n${diagnostics(r.stdout + r.stderr)}`);
        assert.ok(r.summary.created > 0, JSON.stringify(r.summary));
        await waitNodesReady(labState(), c.config);
        const w2 = hostNamed(NEW);
        const served = await eventually(async () => (await fromInternet(w2)).stdout.includes(HELLO_PAGE), 120_000, 2000);
        const last = await fromInternet(w2);
        assert.ok(served, `${NEW} [${w2.publicAddress}]:80 from the internet: exit ${last.code} ${last.stdout}${last.stderr}`);
    });

    it("applying the stack as it was removes w2 again: its Node is gone, the service still answers on its other hosts", async () => {
        const c = cluster();
        const r = await applyToLab(c, LAB_STACK_FILE);
        testLog(`pulumi up without w2: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
        assert.equal(r.code, 0, diagnostics(r.stdout + r.stderr));
        assert.ok(r.summary.deleted > 0, JSON.stringify(r.summary));
        const nodes = await kubectl(operator(), ["get", "nodes", "-o", "name"]);
        assert.doesNotMatch(nodes.stdout, new RegExp(`node/${NEW}\\b`));
        for (const name of ["lab2", "w1"]) {
            const q = await fromInternet(hostNamed(name));
            assert.ok(q.stdout.includes(HELLO_PAGE), `${name}: exit ${q.code} ${q.stdout}${q.stderr}`);
        }
    });
});
