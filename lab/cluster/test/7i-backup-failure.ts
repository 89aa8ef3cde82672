// Cluster check 7i: a failing etcd backup is visible, and mended by the next run (issue 21 §2;
// README, "etcd backups"):
// - the stack's S3 secret key is wrong (etcdBackupS3SecretKey): `pulumi up` changes only the
//   control-plane nodes' store steps; the backup unit on lab2 then fails with the store's answer
//   (SignatureDoesNotMatch: the lab's store checks every signature), its status file and the Node's
//   annotation say `failed`, the last success stays, the snapshot stays on the node;
// - the right key again: `pulumi up`, the next run succeeds, the object is in the bucket with the
//   snapshot's size, the annotation says ok.
import { strict as assert } from "assert";
import { diagnostics } from "../../engine/engine";
import { labS3StackCredentials, setLabS3StackCredentials } from "../../engine/labStack";
import { testLog } from "../../owner";
import { applyToLab } from "../labApply";
import { kubectl } from "../operator";
import { LAB_S3, s3Objects } from "../s3";
import { cluster, hostNamed, operator } from "../session";
import { LAB_STACK_FILE, sshOnHost } from "../ssh";

const NODE = "lab2";
const annotation = async (name: string) =>
    (await kubectl(operator(), ["get", "node", NODE, "-o", `jsonpath={.metadata.annotations.v6k8s\\.io/${name}}`])).stdout;
/** The unit run as an operator runs it, then its journal's last lines and its status file. */
async function backup(): Promise<{ code: number; journal: string; last: string }> {
    const r = await sshOnHost(
        hostNamed(NODE),
        'systemctl start v6k8s-etcd-backup.service; echo "exit=$?"; journalctl -u v6k8s-etcd-backup -n 30 --no-pager; echo "last=$(cat /var/lib/v6k8s/etcd-backup/last)"',
        { timeoutMs: 300_000 },
    );
    return {
        code: Number(/^exit=(\d+)$/m.exec(r.stdout)?.[1] ?? -1),
        journal: r.stdout,
        last: /^last=(.*)$/m.exec(r.stdout)?.[1] ?? "",
    };
}

describe("cluster 7i. a failing etcd backup upload is visible; the next run after the fix succeeds", function () {
    this.timeout(20 * 60_000);
    let saved: ReturnType<typeof labS3StackCredentials>;

    before(() => {
        saved = labS3StackCredentials();
    });
    after(() => setLabS3StackCredentials(saved));

    it("wrong credentials: only the store steps change; the unit fails with the store's answer; status file and Node say failed", async () => {
        const before = await backup();
        assert.equal(before.code, 0, before.journal);
        const success = await annotation("etcd-backup-last-success");
        assert.equal(success, before.last);
        setLabS3StackCredentials({ accessKey: saved.accessKey, secretKey: `${saved.secretKey}-wrong` });
        const r = await applyToLab(cluster(), LAB_STACK_FILE);
        testLog(`pulumi up with a wrong S3 secret key: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
        assert.equal(r.code, 0, diagnostics(r.stdout + r.stderr));
        assert.ok(
            Object.entries(r.summary).every(([k, n]) => k === "unchanged" || (["replaced", "updated"].includes(k) && n === 3)),
            `only the three store steps change: ${JSON.stringify(r.summary)}`,
        );
        const failed = await backup();
        testLog(`backup unit with a wrong key: exit ${failed.code}; status: ${failed.last}`);
        assert.notEqual(failed.code, 0, `the unit succeeded with a wrong key: ${failed.journal}`);
        // The store's answer (SignatureDoesNotMatch) when it arrives before the body is sent; with a
        // larger snapshot the store may close the connection first (curl: (55) Send failure).
        const reason = /failed: (SignatureDoesNotMatch: |curl: \(55\) Send failure)/;
        assert.match(failed.journal, /etcd backup failed: upload of etcd-\d{8}T\d{6}Z\.db to s3:\/\/\S+ failed: /);
        assert.match(failed.journal, reason);
        assert.match(failed.last, /^failed \S+ upload of /);
        assert.match(failed.last, reason);
        const lastSuccess = (await sshOnHost(hostNamed(NODE), "cat /var/lib/v6k8s/etcd-backup/last-success")).stdout.trim();
        assert.equal(lastSuccess, success, "the last success stays");
        assert.equal(await annotation("etcd-backup"), failed.last);
        assert.equal(await annotation("etcd-backup-last-success"), success);
        assert.ok(!failed.journal.includes(saved.secretKey), "the secret key in the unit's journal");
    });

    it("the right credentials again: the next run uploads; the Node says ok", async () => {
        setLabS3StackCredentials(saved);
        const r = await applyToLab(cluster(), LAB_STACK_FILE);
        assert.equal(r.code, 0, diagnostics(r.stdout + r.stderr));
        const ok = await backup();
        assert.equal(ok.code, 0, ok.journal);
        const uploaded = /^ok \S+ \S+ s3:\/\/[^/]+\/(\S+)$/.exec(ok.last);
        assert.ok(uploaded, ok.last);
        const objects = await s3Objects(`${LAB_S3.prefix}${NODE}/`);
        assert.ok(
            objects.some((o) => o.key === uploaded[1] && o.size > 0),
            `${uploaded[1]} is not in the bucket: ${JSON.stringify(objects)}`,
        );
        assert.equal(await annotation("etcd-backup"), ok.last);
        assert.equal(await annotation("etcd-backup-last-success"), ok.last);
    });
});
