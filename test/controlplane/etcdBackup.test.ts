// The etcd backup timer: rendered only on control-plane nodes and enabled by their start script;
// the snapshot script run by a real bash in a scratch mount namespace (tmpfs over /usr/local and
// /var/lib, a fake `ctr`), checking which container it runs etcdctl in and the retention.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    ETCD_BACKUP_ANNOTATION,
    ETCD_BACKUP_KEEP,
    ETCD_BACKUP_STATUS_DIR,
    ETCD_BACKUP_SUCCESS_ANNOTATION,
    ETCD_BACKUP_SCRIPT_PATH,
    ETCD_BACKUP_SERVICE_PATH,
    ETCD_BACKUP_TIMER_PATH,
    renderEtcdBackupScript,
} from "../../components/controlplane/render/etcdBackup";
import { controlPlaneFiles } from "../../components/controlplane/render/files";
import { renderStartKubelet } from "../../components/controlplane/render/activate";
import { fakeHost, inScratchRoot } from "../runtime/scratch";
import { filesOnStdin } from "../../components/hosts/render/commands";
import { s3HostFiles } from "../../components/controlplane/render/etcdBackupS3";
import { ETCD_BACKUP_STORE_COMMAND } from "../../components/controlplane/steps";
import type { EtcdBackupS3Config } from "../../components/config/types";
import { fixture } from "./fixture";

const BACKUP_FILES = [ETCD_BACKUP_SCRIPT_PATH, ETCD_BACKUP_SERVICE_PATH, ETCD_BACKUP_TIMER_PATH];

describe("etcd backups (render)", () => {
    it("the script is valid bash and refuses a retention below one", () => {
        execFileSync("bash", ["-n"], { input: renderEtcdBackupScript() });
        assert.throws(() => renderEtcdBackupScript({ keep: 0 }), RangeError);
    });

    it("start-kubelet.sh enables the timer on control-plane nodes only", () => {
        const opts = { kubernetesVersion: "1.34.2", apiserverPort: 6443, kubeletHealthzPort: 10248, etcdMetricsPort: 2381 };
        assert.match(renderStartKubelet({ ...opts, controlPlane: true }), /^systemctl enable --now v6k8s-etcd-backup\.timer$/m);
        assert.doesNotMatch(renderStartKubelet({ ...opts, controlPlane: false }), /etcd-backup/);
    });

    it("the timer, service and script are control-plane files (goldens under test/golden/controlplane/cp1)", () => {
        const f = fixture();
        const cp = controlPlaneFiles(f.cluster, f.node("cp1"));
        for (const p of BACKUP_FILES) assert.ok(cp.has(p), p);
        assert.equal(cp.get(ETCD_BACKUP_SCRIPT_PATH)!.mode, "0755");
        assert.equal(controlPlaneFiles(f.cluster, f.node("w1")).size, 0);
    });
});

// A fake ctr: an exited and a running etcd container, and a running one of another pod.
const FAKE_CTR = `#!/bin/bash
echo "ctr $*" >> "$FAKE_LOG"
[ "$1 $2" = "--namespace k8s.io" ] || { echo "wrong namespace: $*" >&2; exit 2; }
shift 2
case "$1 $2" in
"tasks ls") printf 'TASK PID STATUS\\nold-etcd 0 STOPPED\\nlive-etcd 1234 RUNNING\\nlive-apiserver 99 RUNNING\\n' ;;
"containers ls") echo old-etcd; echo live-etcd ;;
"tasks exec") [ "$FAIL" = yes ] && exit 1; if [ "\${CORRUPT:-}" = yes ]; then echo corrupt; else echo SNAPSHOT; fi > "\${@: -1}" ;;
*) exit 2 ;;
esac
`;
// kubectl: records its arguments; fails when $KUBECTL_DOWN is set (the API does not answer).
const FAKE_KUBECTL = `#!/bin/bash
echo "kubectl $*" >> "$FAKE_LOG"
[ -z "\${KUBECTL_DOWN:-}" ]
`;

const USER = "AKLAB123:s3cr3t/key+with=chars";
const S3: EtcdBackupS3Config = { endpoint: "https://[2001:db8:ffff::7]:443", region: "lab", bucket: "snaps", prefix: "prod/", keep: 2 };

describe("etcd-backup.sh in a scratch root (root)", function () {
    this.timeout(60_000);
    let dir = "";
    beforeEach(function () {
        if (process.getuid?.() !== 0) this.skip();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-etcd-backup-"));
        fs.mkdirSync(path.join(dir, "backups"));
        fs.mkdirSync(path.join(dir, "s3", "snaps"), { recursive: true });
        fs.writeFileSync(path.join(dir, "etcd-backup.sh"), renderEtcdBackupScript({ node: "cp1" }));
        fs.writeFileSync(
            path.join(dir, "store"),
            filesOnStdin(s3HostFiles("cp1", S3, { accessKey: "AKLAB123", secretKey: "s3cr3t/key+with=chars" })),
        );
        fs.writeFileSync(path.join(dir, "store-installer.sh"), ETCD_BACKUP_STORE_COMMAND);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Old snapshots named like the script's, one a day in 2025, plus files that are not snapshots. */
    const seed = (n: number) => {
        const names = Array.from({ length: n }, (_, i) => `etcd-202501${String(i + 1).padStart(2, "0")}T000000Z.db`);
        for (const f of [...names, "notes.txt", ".etcd-20250101T000000Z.db.part"]) fs.writeFileSync(path.join(dir, "backups", f), "old");
        return names;
    };
    /** Runs the script (with the store's files installed by its step when `store`), then prints the status files. */
    const run = async (env = "", opts: { store?: boolean; args?: string } = {}) => {
        const setup = fakeHost(dir);
        for (const [name, body] of [
            ["ctr", FAKE_CTR],
            ["kubectl", FAKE_KUBECTL],
            ["curl", fs.readFileSync(path.join(__dirname, "fixtures", "fake-s3-curl.sh"), "utf8")],
            ["etcdutl", fs.readFileSync(path.join(__dirname, "fixtures", "fake-etcdutl.sh"), "utf8")],
        ]) {
            fs.writeFileSync(path.join(dir, "bin", name), body, { mode: 0o755 });
        }
        const install = opts.store ? `V6K8S_OWNED_DIR=${dir}/owned sh ${dir}/store-installer.sh < ${dir}/store && ` : "";
        const r = await inScratchRoot(
            `export FAKE_S3=${dir}/s3 FAKE_S3_USER='${USER}' ${env}; mkdir /var/lib/etcd && ${install}` +
                `V6K8S_ETCD_BACKUP_DIR=${dir}/backups bash ${dir}/etcd-backup.sh ${opts.args ?? ""}; echo "exit=$?"; ` +
                `cat ${ETCD_BACKUP_STATUS_DIR}/last 2>/dev/null | sed 's/^/last: /'; cat ${ETCD_BACKUP_STATUS_DIR}/last-success 2>/dev/null | sed 's/^/last-success: /'`,
            setup,
        );
        const calls = fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8") : "";
        return { ...r, calls, exit: Number(/^exit=(\d+)$/m.exec(r.stdout)?.[1]) };
    };
    const listing = () => fs.readdirSync(path.join(dir, "backups")).sort();
    const bucket = () =>
        fs.existsSync(path.join(dir, "s3", "snaps", "prod", "cp1"))
            ? fs.readdirSync(path.join(dir, "s3", "snaps", "prod", "cp1")).sort()
            : [];

    it(`snapshots in the running etcd container, verifies it, then keeps the ${ETCD_BACKUP_KEEP} newest; the status says ok (file and Node)`, async () => {
        const old = seed(ETCD_BACKUP_KEEP + 2);
        const r = await run();
        assert.equal(r.exit, 0, r.stderr);
        assert.match(
            r.calls,
            /tasks exec --exec-id v6k8s-backup-\d+ live-etcd etcdctl --endpoints=https:\/\/\[::1\]:2379 .* snapshot save \/var\/lib\/etcd\/v6k8s-snapshot\.part/,
        );
        assert.match(r.calls, /^etcdutl snapshot status .*\/\.etcd-\d{8}T\d{6}Z\.db\.part -w table$/m, "verified before it gets its name");
        const made = listing().filter((f) => !old.includes(f) && /^etcd-\d{8}T\d{6}Z\.db$/.test(f));
        assert.equal(made.length, 1, listing().join(" "));
        assert.equal(fs.readFileSync(path.join(dir, "backups", made[0]), "utf8"), "SNAPSHOT\n");
        assert.equal(fs.statSync(path.join(dir, "backups", made[0])).mode & 0o777, 0o600);
        assert.match(r.stdout, new RegExp(`saved .*/${made[0]}`));
        // The three oldest went; what is not a snapshot stays.
        assert.deepEqual(listing(), [".etcd-20250101T000000Z.db.part", ...old.slice(3), made[0], "notes.txt"].sort());
        const line = new RegExp(`^ok \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ ${dir}/backups/${made[0]}$`);
        assert.match(/^last: (.*)$/m.exec(r.stdout)![1], line);
        assert.match(/^last-success: (.*)$/m.exec(r.stdout)![1], line);
        assert.match(
            r.calls,
            new RegExp(
                `^kubectl --kubeconfig=/etc/kubernetes/kubelet.conf --request-timeout=20s annotate --overwrite node cp1 ${ETCD_BACKUP_ANNOTATION}=ok .* ${ETCD_BACKUP_SUCCESS_ANNOTATION}=ok `,
                "m",
            ),
        );
        assert.doesNotMatch(r.calls, /^curl /m, "no store, no upload");
    });

    it("--prune-only with fewer snapshots than kept removes nothing", async () => {
        const old = seed(5);
        const r = await run("", { args: "--prune-only" });
        assert.equal(r.exit, 0, r.stderr);
        assert.deepEqual(listing(), [".etcd-20250101T000000Z.db.part", ...old, "notes.txt"].sort());
    });

    it("a failed snapshot fails the unit, removes nothing and says so (status file, Node)", async () => {
        const old = seed(ETCD_BACKUP_KEEP + 2);
        const r = await run("FAIL=yes");
        assert.equal(r.exit, 1);
        assert.equal(listing().filter((f) => f.startsWith("etcd-")).length, old.length);
        assert.match(r.stdout, /^last: failed \S+ line \d+ exited with 1$/m);
        assert.doesNotMatch(r.stdout, /^last-success:/m);
        assert.match(r.calls, new RegExp(`annotate --overwrite node cp1 ${ETCD_BACKUP_ANNOTATION}=failed `));
    });

    it("a snapshot etcdutl cannot read is removed and fails the run", async () => {
        const r = await run("CORRUPT=yes");
        assert.equal(r.exit, 1);
        assert.deepEqual(listing(), []);
        assert.match(
            r.stderr,
            /etcd backup failed: snapshot etcd-\d{8}T\d{6}Z\.db does not verify: Error: snapshot file integrity check failed/,
        );
        assert.match(r.stdout, /^last: failed \S+ snapshot etcd-\d{8}T\d{6}Z\.db does not verify/m);
    });

    it("with the S3 store: uploads under <prefix><node>/, reads it back, keeps `keep` in the bucket; no credential on any command line", async () => {
        fs.mkdirSync(path.join(dir, "s3", "snaps", "prod", "cp1"), { recursive: true });
        for (const old of ["etcd-20250101T000000Z.db", "etcd-20250102T000000Z.db", "etcd-20250103T000000Z.db", "notes.txt"]) {
            fs.writeFileSync(path.join(dir, "s3", "snaps", "prod", "cp1", old), "old");
        }
        const r = await run("", { store: true });
        assert.equal(r.exit, 0, r.stderr);
        const made = listing().filter((f) => /^etcd-\d{8}T\d{6}Z\.db$/.test(f));
        assert.equal(made.length, 1);
        // keep: 2 → the newest old one and the new one; what is not a snapshot stays.
        assert.deepEqual(bucket(), ["etcd-20250103T000000Z.db", made[0], "notes.txt"].sort());
        assert.equal(fs.readFileSync(path.join(dir, "s3", "snaps", "prod", "cp1", made[0]), "utf8"), "SNAPSHOT\n");
        assert.match(
            r.calls,
            new RegExp(
                `^curl .*--aws-sigv4 aws:amz:lab:s3 --config /etc/v6k8s/etcd-backup-s3.curl .*-T .*/${made[0]} https://\\[2001:db8:ffff::7\\]:443/snaps/prod/cp1/${made[0]}$`,
                "m",
            ),
        );
        assert.match(r.calls, /^curl .* --head https:\/\/\[2001:db8:ffff::7\]:443\/snaps\/prod\/cp1\/etcd-/m);
        assert.match(r.calls, /^curl .* https:\/\/\[2001:db8:ffff::7\]:443\/snaps\?list-type=2&prefix=prod%2Fcp1%2Fetcd-$/m);
        assert.match(r.stdout, new RegExp(`uploaded s3://snaps/prod/cp1/${made[0]} \\(9 bytes; the 2 newest kept\\)`));
        assert.match(r.stdout, new RegExp(`^last: ok \\S+ ${dir}/backups/${made[0]} s3://snaps/prod/cp1/${made[0]}$`, "m"));
        for (const secret of ["s3cr3t", "AKLAB123"]) assert.ok(!r.calls.includes(secret), `${secret} on a command line`);
    });

    it("wrong S3 credentials: the run fails with the store's answer, the status and the Node say so; the local snapshot stays", async () => {
        const r = await run(`FAKE_S3_USER='AKLAB123:another'`, { store: true });
        assert.equal(r.exit, 1);
        assert.equal(listing().filter((f) => /^etcd-\d{8}T\d{6}Z\.db$/.test(f)).length, 1);
        assert.deepEqual(bucket(), []);
        const reason =
            /upload of etcd-\d{8}T\d{6}Z\.db to s3:\/\/snaps\/prod\/cp1\/etcd-\d{8}T\d{6}Z\.db failed: SignatureDoesNotMatch: The request signature we calculated/;
        assert.match(r.stderr, reason);
        assert.match(/^last: (.*)$/m.exec(r.stdout)![1], /^failed \S+ upload of/);
        assert.doesNotMatch(r.stdout, /^last-success:/m);
        assert.match(r.calls, new RegExp(`annotate --overwrite node cp1 ${ETCD_BACKUP_ANNOTATION}=failed \\S+ upload of`));
    });

    it("an upload the store holds short fails the run", async () => {
        const short = await run("FAKE_S3_SHORT=yes", { store: true });
        assert.equal(short.exit, 1);
        assert.match(short.stderr, /s3:\/\/snaps\/prod\/cp1\/etcd-\S+ holds '8' bytes, etcd-\S+ has 9/);
        assert.match(short.stdout, /^last: failed /m);
    });

    it("the API down only skips the Node's annotation", async () => {
        const down = await run("KUBECTL_DOWN=yes", { store: true });
        assert.equal(down.exit, 0, down.stderr);
        assert.match(down.stderr, /the Node cp1 was not annotated \(the status is in \/var\/lib\/v6k8s\/etcd-backup\)/);
        assert.match(down.stdout, /^last: ok /m);
    });
});
