// The etcd backup timer: rendered only on control-plane nodes and enabled by their start script;
// the snapshot script run by a real bash in a scratch mount namespace (tmpfs over /usr/local and
// /var/lib, a fake `ctr`), checking which container it runs etcdctl in and the retention.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    ETCD_BACKUP_KEEP,
    ETCD_BACKUP_SCRIPT_PATH,
    ETCD_BACKUP_SERVICE_PATH,
    ETCD_BACKUP_TIMER_PATH,
    renderEtcdBackupScript,
} from "../../components/controlplane/render/etcdBackup";
import { controlPlaneFiles } from "../../components/controlplane/render/files";
import { renderStartKubelet } from "../../components/controlplane/render/activate";
import { inScratchRoot } from "../runtime/scratch";
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
"tasks exec") [ "$FAIL" = yes ] && exit 1; echo SNAPSHOT > "\${@: -1}" ;;
*) exit 2 ;;
esac
`;

describe("etcd-backup.sh in a scratch root (root)", function () {
    this.timeout(60_000);
    let dir: string;
    beforeEach(function () {
        if (process.getuid?.() !== 0) this.skip();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-etcd-backup-"));
        fs.mkdirSync(path.join(dir, "backups"));
        fs.writeFileSync(path.join(dir, "etcd-backup.sh"), renderEtcdBackupScript());
        fs.writeFileSync(path.join(dir, "ctr"), FAKE_CTR, { mode: 0o755 });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Old snapshots named like the script's, one a day in 2025, plus files that are not snapshots. */
    const seed = (n: number) => {
        const names = Array.from({ length: n }, (_, i) => `etcd-202501${String(i + 1).padStart(2, "0")}T000000Z.db`);
        for (const f of [...names, "notes.txt", ".etcd-20250101T000000Z.db.part"]) fs.writeFileSync(path.join(dir, "backups", f), "old");
        return names;
    };
    const run = (env = "") =>
        inScratchRoot(
            `${env} V6K8S_ETCD_BACKUP_DIR=${dir}/backups FAKE_LOG=${dir}/calls bash ${dir}/etcd-backup.sh`,
            `mount -t tmpfs scratch /var/lib && mkdir /var/lib/etcd && cp ${dir}/ctr /usr/local/bin/ctr && `,
        );
    const listing = () => fs.readdirSync(path.join(dir, "backups")).sort();

    it(`snapshots in the running etcd container, then keeps the ${ETCD_BACKUP_KEEP} newest`, async () => {
        const old = seed(ETCD_BACKUP_KEEP + 2);
        const r = await run();
        assert.equal(r.status, 0, r.stderr);
        const calls = fs.readFileSync(path.join(dir, "calls"), "utf8");
        assert.match(
            calls,
            /tasks exec --exec-id v6k8s-backup-\d+ live-etcd etcdctl --endpoints=https:\/\/\[::1\]:2379 .* snapshot save \/var\/lib\/etcd\/v6k8s-snapshot\.part/,
        );
        const made = listing().filter((f) => !old.includes(f) && /^etcd-\d{8}T\d{6}Z\.db$/.test(f));
        assert.equal(made.length, 1, listing().join(" "));
        assert.equal(fs.readFileSync(path.join(dir, "backups", made[0]), "utf8"), "SNAPSHOT\n");
        assert.equal(fs.statSync(path.join(dir, "backups", made[0])).mode & 0o777, 0o600);
        assert.match(r.stdout, new RegExp(`saved .*/${made[0]}`));
        // The three oldest went; what is not a snapshot stays.
        assert.deepEqual(listing(), [".etcd-20250101T000000Z.db.part", ...old.slice(3), made[0], "notes.txt"].sort());
    });

    it("--prune-only with fewer snapshots than kept removes nothing", async () => {
        const old = seed(5);
        const r = await inScratchRoot(`V6K8S_ETCD_BACKUP_DIR=${dir}/backups bash ${dir}/etcd-backup.sh --prune-only`);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(listing(), [".etcd-20250101T000000Z.db.part", ...old, "notes.txt"].sort());
    });

    it("a failed snapshot fails the unit and removes nothing", async () => {
        const old = seed(ETCD_BACKUP_KEEP + 2);
        const r = await run("FAIL=yes");
        assert.notEqual(r.status, 0);
        assert.equal(listing().filter((f) => f.startsWith("etcd-")).length, old.length);
    });
});
