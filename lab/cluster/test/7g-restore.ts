// Cluster check 7g: restoring etcd from a snapshot through `pulumi up` (cluster.etcdRestore; README,
// "Restore etcd from a snapshot"), exactly as the README tells an operator:
// - ConfigMap `before` and Secret `kept` are written; a snapshot is taken by the backup unit on
//   lab1 (`systemctl start v6k8s-etcd-backup.service`); ConfigMap `after` is written;
// - the snapshot is copied to every control-plane node (`/root/restore.db`), and every member's
//   data is destroyed under it (`rm -rf /var/lib/etcd/member` while etcd runs);
// - `lab:apply` of the stack with `etcdRestore: {id, snapshot, sha256}`: the API serves, `before`
//   is there and `after` is not, `kept` reads back, etcd has 3 healthy members, every node is
//   Ready, and a Deployment created afterwards gets its pod (controllers and scheduler work);
// - the same stack again changes nothing; the stack without etcdRestore then applies as usual.
import { strict as assert } from "assert";
import { createHash } from "crypto";
import { diagnostics } from "../../engine/engine";
import { testLog } from "../../owner";
import { eventually } from "../../run";
import { etcdMemberHealth } from "../checks";
import { applyToLab, stackVariant } from "../labApply";
import { kubectl } from "../operator";
import { cluster, hostNamed, labState, operator } from "../session";
import { LAB_STACK_FILE, sshOnHost } from "../ssh";
import { waitNodesReady } from "../up";

const NS = "restore-check";
const CONTROL_PLANE = ["lab1", "lab2", "lab3"];
const SNAPSHOT = "/root/restore.db";
const ID = "lab-7g";

const k = (args: string[], allowFail = false) => kubectl(operator(), args, { allowFail, timeoutMs: 120_000 });

describe("cluster 7g. restoring etcd from a snapshot with pulumi up", function () {
    this.timeout(30 * 60_000);
    let sha256 = "";

    before(async () => {
        await k(["create", "namespace", NS]);
        await k(["-n", NS, "create", "configmap", "before", "--from-literal=at=before the snapshot"]);
        await k(["-n", NS, "create", "secret", "generic", "kept", "--from-literal=value=written before the snapshot"]);
        const backup = await sshOnHost(
            hostNamed("lab1"),
            "systemctl start v6k8s-etcd-backup.service && ls -t /var/backups/etcd/etcd-*Z.db | head -n 1",
        );
        const file = backup.stdout.trim().split("\n").at(-1)!;
        assert.match(file, /^\/var\/backups\/etcd\/etcd-\d{8}T\d{6}Z\.db$/, backup.stdout + backup.stderr);
        await k(["-n", NS, "create", "configmap", "after", "--from-literal=at=after the snapshot"]);
        const b64 = (await sshOnHost(hostNamed("lab1"), `base64 -w0 ${file}`, { timeoutMs: 120_000 })).stdout.trim();
        const bytes = Buffer.from(b64, "base64");
        sha256 = createHash("sha256").update(bytes).digest("hex");
        testLog(`snapshot ${file}: ${bytes.length} bytes, sha256 ${sha256}`);
        for (const n of CONTROL_PLANE) {
            await sshOnHost(hostNamed(n), `base64 -d > ${SNAPSHOT}.part && mv ${SNAPSHOT}.part ${SNAPSHOT} && chmod 600 ${SNAPSHOT}`, {
                input: b64,
                timeoutMs: 120_000,
            });
        }
    });

    after(async () => {
        await k(["delete", "namespace", NS, "--ignore-not-found", "--wait=false"], true);
    });

    it("with every member's data destroyed, one pulumi up restores the snapshot on every member: `before` and the Secret are back, `after` is not; the cluster works", async () => {
        for (const n of CONTROL_PLANE) await sshOnHost(hostNamed(n), "rm -rf /var/lib/etcd/member");
        const file = stackVariant("restore", (doc, key) =>
            doc.setIn(["config", key("cluster"), "etcdRestore"], { id: ID, snapshot: SNAPSHOT, sha256 }),
        );
        const r = await applyToLab(cluster(), file);
        testLog(`pulumi up with etcdRestore: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
        assert.equal(r.code, 0, `pulumi up failed:\n${diagnostics(r.stdout + r.stderr)}`);
        const served = await eventually(async () => (await k(["get", "--raw", "/readyz"], true)).code === 0, 180_000, 3000);
        assert.ok(served, "the API does not serve after the restore");
        const cms = await k(["-n", NS, "get", "configmap", "-o", "name"]);
        assert.match(cms.stdout, /^configmap\/before$/m);
        assert.doesNotMatch(cms.stdout, /^configmap\/after$/m);
        const secret = await k(["-n", NS, "get", "secret", "kept", "-o", "jsonpath={.data.value}"]);
        assert.equal(Buffer.from(secret.stdout, "base64").toString(), "written before the snapshot");
        const health = await etcdMemberHealth("lab1");
        assert.ok(health.members?.length === 3 && health.members.every((m) => m.health), health.raw);
        await waitNodesReady(labState(), cluster().config);
        await k(["-n", NS, "create", "deployment", "after-restore", "--image=registry.k8s.io/pause:3.10.1"]);
        const rolled = await k(["-n", NS, "rollout", "status", "deployment/after-restore", "--timeout=180s"], true);
        assert.equal(rolled.code, 0, `a Deployment created after the restore gets no pod: ${rolled.stdout}${rolled.stderr}`);
    });

    it("the same stack again changes nothing; the stack without etcdRestore applies", async () => {
        const file = stackVariant("restore", (doc, key) =>
            doc.setIn(["config", key("cluster"), "etcdRestore"], { id: ID, snapshot: SNAPSHOT, sha256 }),
        );
        const again = await applyToLab(cluster(), file);
        assert.equal(again.code, 0, diagnostics(again.stdout + again.stderr));
        assert.deepEqual(
            Object.keys(again.summary),
            ["unchanged"],
            `a second run with the same restore changed: ${JSON.stringify(again.summary)}`,
        );
        const back = await applyToLab(cluster(), LAB_STACK_FILE);
        testLog(`pulumi up without etcdRestore: ${JSON.stringify(back.summary)} in ${back.seconds.toFixed(1)} s`);
        assert.equal(back.code, 0, diagnostics(back.stdout + back.stderr));
    });
});
