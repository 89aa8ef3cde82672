// Cluster check 7g: restoring etcd from a snapshot through `pulumi up` (cluster.etcdRestore; README,
// "Restore etcd from a snapshot"), exactly as the README tells an operator:
// - ConfigMap `before` and Secret `kept` are written; a snapshot is taken by the backup unit on
//   lab1 (`systemctl start v6k8s-etcd-backup.service`), which verifies it and uploads it to the
//   lab's S3 store (cluster.etcdBackup.s3); its status (Node annotation) says ok; ConfigMap
//   `after` is written;
// - every member's data is destroyed (`rm -rf /var/lib/etcd/member` while etcd runs);
// - `lab:apply` of the stack with `etcdRestore: {id, snapshot: s3:<key>, sha256}` (the uploaded
//   copy: each node downloads it): the API serves, `before` is there and `after` is not, `kept`
//   reads back, etcd has 3 healthy members, every node is Ready, and a Deployment created
//   afterwards gets its pod (controllers and scheduler work);
// - the same stack again changes nothing; the stack without etcdRestore then applies as usual.
import { strict as assert } from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { STATE_DIR } from "../../config";
import { LAB_S3, s3Request } from "../s3";
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
const ID = "lab-7g";

const k = (args: string[], allowFail = false) => kubectl(operator(), args, { allowFail, timeoutMs: 120_000 });

describe("cluster 7g. restoring etcd from a snapshot with pulumi up", function () {
    this.timeout(30 * 60_000);
    let sha256 = "";
    let key = "";

    before(async () => {
        await k(["create", "namespace", NS]);
        await k(["-n", NS, "create", "configmap", "before", "--from-literal=at=before the snapshot"]);
        await k(["-n", NS, "create", "secret", "generic", "kept", "--from-literal=value=written before the snapshot"]);
        // As an operator takes one and reads its outcome: the unit, then its status file.
        const backup = await sshOnHost(
            hostNamed("lab1"),
            "systemctl start v6k8s-etcd-backup.service && cat /var/lib/v6k8s/etcd-backup/last",
            { timeoutMs: 300_000 },
        );
        const last = /^ok \S+ (\/var\/backups\/etcd\/etcd-\d{8}T\d{6}Z\.db) s3:\/\/[^/]+\/(\S+)$/m.exec(backup.stdout);
        assert.ok(last, `the backup's status is not an upload: ${backup.stdout}${backup.stderr}`);
        key = last[2];
        assert.match(key, /^lab\/lab1\/etcd-\d{8}T\d{6}Z\.db$/);
        const size = Number((await sshOnHost(hostNamed("lab1"), `stat -c %s ${last[1]}`)).stdout.trim());
        const status = await k(["get", "node", "lab1", "-o", `jsonpath={.metadata.annotations.v6k8s\\.io/etcd-backup}`]);
        assert.equal(status.stdout, last[0], "the Node's backup status is the status file's");
        await k(["-n", NS, "create", "configmap", "after", "--from-literal=at=after the snapshot"]);
        // The operator's copy of the uploaded snapshot: its sha256 goes into the config.
        const local = path.join(STATE_DIR, "restore-check.db");
        const got = await s3Request(["-o", local], `/${key}`);
        assert.equal(got.code, 0, `downloading s3://${LAB_S3.bucket}/${key}: ${got.stdout}${got.stderr}`);
        const bytes = fs.readFileSync(local);
        fs.rmSync(local);
        assert.equal(bytes.length, size, "the store holds the whole snapshot");
        sha256 = createHash("sha256").update(bytes).digest("hex");
        testLog(`snapshot s3://${LAB_S3.bucket}/${key}: ${bytes.length} bytes, sha256 ${sha256}`);
    });

    after(async () => {
        await k(["delete", "namespace", NS, "--ignore-not-found", "--wait=false"], true);
    });

    it("with every member's data destroyed, one pulumi up restores the snapshot on every member: `before` and the Secret are back, `after` is not; the cluster works", async () => {
        for (const n of CONTROL_PLANE) await sshOnHost(hostNamed(n), "rm -rf /var/lib/etcd/member");
        const file = stackVariant("restore", (doc, k) =>
            doc.setIn(["config", k("cluster"), "etcdRestore"], { id: ID, snapshot: `s3:${key}`, sha256 }),
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
        const file = stackVariant("restore", (doc, k) =>
            doc.setIn(["config", k("cluster"), "etcdRestore"], { id: ID, snapshot: `s3:${key}`, sha256 }),
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
