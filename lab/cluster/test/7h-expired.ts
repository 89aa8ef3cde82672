// Cluster check 7h: a cluster whose leaf certificates have all expired comes back with one plain
// `pulumi up` (README, "Renew certificates"; issue 21 §4).
// - Expire: every leaf certificate is issued anew by the tls stand-in with its clock set back by
//   the validity plus a day (V6K8S_LAB_TLS_CLOCK_OFFSET: they ended a day ago), and only the pki
//   steps run (`--target-replace` the leaves, `--target` the pki steps): the expired files are on
//   every host, nothing restarted. Every host then loses power and boots: etcd's peers refuse each
//   other's certificates, the API does not serve.
// - Mend: `pulumi up` of the stack as it is: the engine replaces every certificate past its renewal
//   window (`readyForRenewal`); every control-plane node's new certificates are written before any
//   node waits for etcd's quorum; the cluster serves, etcd has 3 healthy members, every node is
//   Ready, and no host holds an expired certificate.
import { strict as assert } from "assert";
import { diagnostics } from "../../engine/engine";
import { testLog } from "../../owner";
import { eventually } from "../../run";
import { etcdMemberHealth } from "../checks";
import { applyToLab } from "../labApply";
import { kubectl } from "../operator";
import { powerOffCluster, powerOnCluster } from "../power";
import { cluster, labState, operator } from "../session";
import { LAB_STACK_FILE, sshOnHost } from "../ssh";
import { waitNodesReady } from "../up";
import { PATHS } from "../../../components/controlplane/paths";
import type { StateResource } from "../../engine/labStack";

const CONTROL_PLANE = ["lab1", "lab2", "lab3"];
const LEAF_CERT_TYPE = "tls:index/locallySignedCert:LocallySignedCert";
/** A certificate file on every node, and one on every control-plane node. */
const EVERY_NODE_CERT = PATHS.kubeletClient.cert;
const CONTROL_PLANE_CERTS = [PATHS.apiserver.cert, PATHS.etcdPeer.cert];

const readyz = () => kubectl(operator(), ["--request-timeout=5s", "get", "--raw", "/readyz"], { allowFail: true, timeoutMs: 30_000 });

/** Per host, the files of `paths` that are expired now (`openssl x509 -checkend 0` fails). */
async function expiredOn(host: string, paths: readonly string[]): Promise<string[]> {
    const h = labState().hosts.find((x) => x.name === host)!;
    const r = await sshOnHost(h, paths.map((p) => `openssl x509 -noout -checkend 0 -in ${p} >/dev/null || echo ${p}`).join("; "));
    return r.stdout.split("\n").filter(Boolean);
}

/** The stack's hosts (machines of nodes an earlier check dropped stay in the lab, outside the cluster). */
const stackHosts = () => labState().hosts.filter((h) => cluster().config.nodes.some((n) => n.name === h.name));

const leaves = (rs: readonly StateResource[]) => rs.filter((r) => r.type === LEAF_CERT_TYPE && r.outputs.isCaCertificate !== true);

describe("cluster 7h. every leaf certificate expired: one pulumi up brings the cluster back", function () {
    this.timeout(30 * 60_000);

    it("issued already expired and every host rebooted, the API does not serve", async () => {
        const c = cluster();
        // The stack as it is first, so the expired run below changes certificates only (the
        // encryption-key check asks etcd whenever its script changes, as on the second run of a
        // stack: it cannot while etcd has no quorum; README, "Expired certificates").
        const settled = await applyToLab(c, LAB_STACK_FILE);
        assert.equal(settled.code, 0, diagnostics(settled.stdout + settled.stderr));
        const resources = await c.engine.resources();
        const certs = leaves(resources);
        const pkiSteps = resources.filter((r) => r.type === "command:remote:Command" && /^k8s-.+-pki$/.test(r.name));
        assert.ok(certs.length >= 20 && pkiSteps.length === stackHosts().length, `${certs.length} leaves, ${pkiSteps.length} pki steps`);
        const validity = c.config.cluster.pki.certificateValidityHours;
        const r = await applyToLab(c, LAB_STACK_FILE, {
            args: [...certs.flatMap((x) => ["--target-replace", x.urn]), ...pkiSteps.flatMap((x) => ["--target", x.urn])],
            env: { V6K8S_LAB_TLS_CLOCK_OFFSET: `-${validity + 24}h` },
        });
        testLog(`expired certificates issued: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
        assert.equal(r.code, 0, `the expiring run failed:\n${diagnostics(r.stdout + r.stderr)}`);
        for (const n of stackHosts().map((h) => h.name)) {
            const expected = [EVERY_NODE_CERT, ...(CONTROL_PLANE.includes(n) ? CONTROL_PLANE_CERTS : [])];
            assert.deepEqual(await expiredOn(n, expected), expected, `${n}: the certificates it holds are expired`);
        }
        const hosts = stackHosts();
        for (const h of hosts) powerOffCluster(h);
        for (const h of hosts) await powerOnCluster(h);
        // Two minutes after the boot: long enough for etcd and the apiservers to be up had their
        // certificates been valid (a whole-cluster reboot takes about a minute in the lab).
        let last = "";
        const served = await eventually(
            async () => {
                const x = await readyz();
                last = `${x.stdout}${x.stderr}`.trim();
                return x.code === 0;
            },
            120_000,
            5000,
        );
        testLog(`after the reboot with expired certificates, /readyz: ${last}`);
        assert.ok(!served, "the API serves with every certificate expired");
    });

    it("one pulumi up renews every certificate: the API serves, 3 healthy etcd members, every node Ready, nothing expired", async () => {
        const c = cluster();
        const r = await applyToLab(c, LAB_STACK_FILE);
        testLog(`pulumi up with every certificate expired: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
        assert.equal(r.code, 0, `pulumi up failed:\n${diagnostics(r.stdout + r.stderr)}`);
        const certs = leaves(await c.engine.resources());
        const now = Date.now();
        const stale = certs.filter((x) => Date.parse(String(x.outputs.validityEndTime)) <= now).map((x) => x.name);
        assert.deepEqual(stale, [], "certificates still expired in the state");
        assert.ok((r.summary.replaced ?? 0) >= certs.length, `every leaf replaced: ${JSON.stringify(r.summary)}`);
        const served = await eventually(async () => (await readyz()).code === 0, 180_000, 3000);
        assert.ok(served, "the API does not serve after the renewal");
        const health = await etcdMemberHealth("lab1");
        assert.ok(health.members?.length === 3 && health.members.every((m) => m.health), health.raw);
        await waitNodesReady(labState(), c.config);
        for (const n of stackHosts().map((h) => h.name)) {
            const held = [EVERY_NODE_CERT, ...(CONTROL_PLANE.includes(n) ? CONTROL_PLANE_CERTS : [])];
            assert.deepEqual(await expiredOn(n, held), [], `${n} still holds an expired certificate`);
        }
    });
});
