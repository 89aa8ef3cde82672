// The three restore steps (render/etcdRestore.ts), each run by a real bash in a scratch mount
// namespace: fake etcdutl, ctr and systemctl on PATH, tmpfs over /var/lib, an overlay over /etc.
// Checked: what each refuses, what it moves where, the exact etcdutl restore, the markers that
// make a second run do nothing.
import { strict as assert } from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ETCD_JOINED_MARKER } from "../../components/controlplane/render/activate";
import { APISERVER_MANIFEST_PATH } from "../../components/controlplane/render/apiserver";
import { ETCD_MANIFEST_PATH } from "../../components/controlplane/render/etcd";
import { filesOnStdin, shellQuote } from "../../components/hosts/render/commands";
import { s3HostFiles } from "../../components/controlplane/render/etcdBackupS3";
import { ETCD_BACKUP_STORE_COMMAND } from "../../components/controlplane/steps";
import {
    ETCD_RESTORE_STATE_DIR,
    EtcdRestoreSpec,
    renderRestoreCheck,
    renderRestoreData,
    renderRestoreStart,
    restoredMarker,
} from "../../components/controlplane/render/etcdRestore";
import { fakeHost, inScratchRoot } from "../runtime/scratch";

const SNAPSHOT = "/var/lib/restore/etcd-20261207T000000Z.db";
const CONTENT = "an etcd snapshot\n";
const SPEC: EtcdRestoreSpec = {
    id: "2026-12-07-a",
    snapshot: SNAPSHOT,
    sha256: createHash("sha256").update(CONTENT).digest("hex"),
    etcdVersion: "3.6.8",
    name: "cp2",
    peerUrl: "https://[fd8a:31c2:7c1f:1:2::1]:2380",
    initialCluster: "cp1=https://[fd8a:31c2:7c1f:1:1::1]:2380,cp2=https://[fd8a:31c2:7c1f:1:2::1]:2380",
    clusterToken: "v6k8s-etcd",
    stopTimeoutSeconds: 8,
    progressSeconds: 1,
};
const STATE = `${ETCD_RESTORE_STATE_DIR}/${SPEC.id}`;

/** Runs `script` after `before` (shell) and prints `after`'s output; the fake etcd container is "c1", running. */
async function runStep(script: string, before: string, after: string, env = "") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-restore-"));
    const setup = fakeHost(dir);
    const etcd = path.join(dir, "etcd");
    fs.mkdirSync(etcd);
    fs.writeFileSync(path.join(etcd, "container"), "c1\n");
    for (const [name, file] of [
        ["etcdutl", "fake-etcdutl.sh"],
        ["ctr", "fake-etcd-ctr.sh"],
        // Only an s3: snapshot's download uses curl.
        ["curl", "fake-s3-curl.sh"],
    ]) {
        fs.copyFileSync(path.join(__dirname, "fixtures", file), path.join(dir, "bin", name));
        fs.chmodSync(path.join(dir, "bin", name), 0o755);
    }
    fs.writeFileSync(path.join(dir, "step.sh"), script);
    const snapshot = `mkdir -p ${path.posix.dirname(SNAPSHOT)} && printf '%s' '${CONTENT}' > ${SNAPSHOT} && mkdir -p /etc/kubernetes/manifests && `;
    try {
        const r = await inScratchRoot(
            `export FAKE_ETCD=${etcd} ${env}; ${snapshot}${before}bash ${dir}/step.sh; echo "exit=$?"; ${after}`,
            setup,
        );
        const calls = fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8") : "";
        return { ...r, calls };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const RESTORED = `mkdir -p ${STATE} && touch ${restoredMarker(SPEC.id)} && `;

describe("etcd restore steps (real bash, fake etcdutl and ctr)", function () {
    before(function () {
        if (process.getuid?.() !== 0) {
            if (process.env.V6K8S_REQUIRE_DATAPATH === "1") throw new Error("needs root");
            console.warn("\n  !!! SKIPPED etcd restore steps: need root (a scratch mount namespace) !!!\n");
            this.skip();
        }
    });

    describe("1. check", () => {
        it("the snapshot there, with its sha256, readable, etcdutl at the members' version: prints its status", async () => {
            const r = await runStep(renderRestoreCheck(SPEC), "", "");
            assert.match(r.stdout, /exit=0/, r.stderr);
            assert.match(r.stdout, /\| 1a2b3c4d \| 4242 \|/);
            assert.match(r.stdout, /etcd restore 2026-12-07-a: \/var\/lib\/restore\/etcd-20261207T000000Z\.db verified on cp2/);
        });

        for (const [what, before, env, message] of [
            ["another sha256", `printf x >> ${SNAPSHOT} && `, "", /has sha256 [0-9a-f]{64}, etcdRestore\.sha256 says [0-9a-f]{64}/],
            [
                "no snapshot",
                `rm ${SNAPSHOT} && `,
                "",
                /no snapshot at \/var\/lib\/restore\/etcd-20261207T000000Z\.db: copy the same file to every control-plane node first/,
            ],
            [
                "etcdutl of another release",
                "",
                "FAKE_ETCDUTL_VERSION=3.5.24",
                /etcdutl reports 'etcdutl version: 3\.5\.24'; the members run etcd 3\.6\.8/,
            ],
        ] as const) {
            it(`refuses ${what}, naming it`, async () => {
                const r = await runStep(renderRestoreCheck(SPEC), before, "", env);
                assert.match(r.stdout, /exit=1/);
                assert.match(r.stderr, /^etcd restore 2026-12-07-a on cp2: /m);
                assert.match(r.stderr, message);
            });
        }

        it("refuses a snapshot etcdutl cannot read", async () => {
            const corrupt = { ...SPEC, sha256: createHash("sha256").update("corrupt\n").digest("hex") };
            const r = await runStep(renderRestoreCheck(corrupt), `echo corrupt > ${SNAPSHOT} && `, "");
            assert.match(r.stdout, /exit=1/);
            assert.match(r.stderr, /etcdutl cannot read .*: Error: snapshot file integrity check failed/);
        });

        describe("a snapshot in the S3 store (s3:<key>)", () => {
            const S3_SPEC = { ...SPEC, snapshot: "s3:prod/cp1/etcd-20261207T000000Z.db" };
            const stdinFile = path.join(os.tmpdir(), `v6k8s-restore-store-${process.pid}`);
            after(() => fs.rmSync(stdinFile, { force: true }));
            const USER = "AKLAB123:s3cr3t";
            // The store's files as its step installs them, the bucket holding the snapshot, curl faked.
            const store = (user: string) => {
                const files = filesOnStdin(
                    s3HostFiles(
                        "cp2",
                        { endpoint: "https://[2001:db8:ffff::7]:443", region: "lab", bucket: "snaps", prefix: "prod/", keep: 2 },
                        { accessKey: "AKLAB123", secretKey: "s3cr3t" },
                    ),
                );
                const bucket = "/var/lib/fake-s3/snaps/prod/cp1";
                fs.writeFileSync(stdinFile, files);
                return (
                    `mkdir -p ${bucket} && printf '%s' '${CONTENT}' > ${bucket}/etcd-20261207T000000Z.db && ` +
                    `export FAKE_S3=/var/lib/fake-s3 FAKE_S3_USER='${user}' && ` +
                    `V6K8S_OWNED_DIR=/var/lib/owned sh -c ${shellQuote(ETCD_BACKUP_STORE_COMMAND)} < ${stdinFile} && `
                );
            };

            it("downloads it into the restore's directory, then checks it like a local one", async () => {
                const r = await runStep(renderRestoreCheck(S3_SPEC), store(USER), `ls -l ${STATE}/snapshot.db`);
                assert.match(r.stdout, /exit=0/, r.stderr);
                assert.match(
                    r.stdout,
                    /downloaded s3:\/\/snaps\/prod\/cp1\/etcd-20261207T000000Z\.db to \/var\/lib\/v6k8s\/etcd-restore\/2026-12-07-a\/snapshot\.db/,
                );
                assert.match(r.stdout, /snapshot\.db verified on cp2/);
                assert.match(r.stdout, /^-rw------- /m, "mode 0600: it holds every Secret");
            });

            it("refuses when the download fails (wrong credentials), naming the store's answer", async () => {
                const r = await runStep(renderRestoreCheck(S3_SPEC), store("AKLAB123:other"), "");
                assert.match(r.stdout, /exit=1/);
                assert.match(r.stderr, /downloading s3:\/\/snaps\/prod\/cp1\/etcd-20261207T000000Z\.db failed/);
            });

            it("refuses on a node without the store's settings", async () => {
                const r = await runStep(renderRestoreCheck(S3_SPEC), "", "");
                assert.match(r.stdout, /exit=1/);
                assert.match(r.stderr, /the snapshot is s3:prod\/cp1\/etcd-20261207T000000Z\.db, but this node has no S3 store/);
            });
        });

        it("does nothing where the restore is already done", async () => {
            const r = await runStep(renderRestoreCheck(SPEC), `${RESTORED}rm ${SNAPSHOT} && `, "");
            assert.match(r.stdout, /exit=0/);
            assert.match(r.stdout, /etcd restore 2026-12-07-a: already done on cp2: nothing to do/);
        });
    });

    describe("2. data", () => {
        const oldData = `mkdir -p /var/lib/etcd/member/wal && echo old > /var/lib/etcd/member/wal/0.wal && mkdir -p ${path.posix.dirname(ETCD_JOINED_MARKER)} && touch ${ETCD_JOINED_MARKER} && `;
        const manifests = `echo etcd-manifest > ${ETCD_MANIFEST_PATH} && echo apiserver-manifest > ${APISERVER_MANIFEST_PATH} && `;
        // The kubelet stops the containers two seconds after the manifests go.
        const kubeletStops = `{ (sleep 2; : > "$FAKE_ETCD/container") & } && `;
        const show = [
            "ls /etc/kubernetes/manifests | sed 's/^/manifest-dir: /'",
            `ls ${STATE}/manifests | sed 's/^/kept: /'`,
            "cat /var/lib/etcd/member/wal/*.wal | sed 's/^/data: /'",
            `cat /var/lib/etcd/.v6k8s-before-restore-${SPEC.id}/member/wal/0.wal | sed 's/^/before: /'`,
            `ls -A /var/lib/etcd | sed 's/^/etcd-dir: /'`,
            `[ -e ${ETCD_JOINED_MARKER} ] && echo joined-marker`,
            `[ -e ${STATE}/data-restored ] && echo data-restored`,
            "true",
        ].join("; ");

        it("moves the manifests out, waits for the containers to stop, restores with the exact flags, keeps the old data", async () => {
            const r = await runStep(renderRestoreData(SPEC), oldData + manifests + kubeletStops, show);
            assert.match(r.stdout, /exit=0/, r.stderr);
            assert.match(r.stdout, /etcd and the apiserver on cp2 to stop: ready after [1-5]s/);
            assert.doesNotMatch(r.stdout, /^manifest-dir: /m);
            assert.match(r.stdout, /^kept: etcd\.yaml$/m);
            assert.match(r.stdout, /^kept: kube-apiserver\.yaml$/m);
            assert.match(r.stdout, /^data: restored$/m);
            assert.match(r.stdout, /^before: old$/m);
            assert.deepEqual(
                r.stdout.split("\n").filter((l) => l.startsWith("etcd-dir: ")),
                [`etcd-dir: .v6k8s-before-restore-${SPEC.id}`, "etcd-dir: member"],
            );
            assert.doesNotMatch(r.stdout, /joined-marker/);
            assert.match(r.stdout, /^data-restored$/m);
            const restore = r.calls.split("\n").find((l) => l.startsWith("etcdutl snapshot restore"));
            assert.equal(
                restore,
                `etcdutl snapshot restore ${SNAPSHOT} --data-dir /var/lib/etcd/.v6k8s-restore-${SPEC.id} --name cp2 --initial-cluster ${SPEC.initialCluster} ` +
                    `--initial-advertise-peer-urls ${SPEC.peerUrl} --initial-cluster-token v6k8s-etcd --bump-revision 1000000000 --mark-compacted`,
            );
            assert.match(r.calls, /^systemctl stop v6k8s-etcd-backup\.timer$/m);
        });

        it("does not restore while etcd still runs: fails after its wait, the data untouched", async () => {
            const r = await runStep(renderRestoreData({ ...SPEC, stopTimeoutSeconds: 2 }), oldData + manifests, show);
            assert.match(r.stdout, /exit=1/);
            assert.match(r.stderr, /etcd and the apiserver on cp2 to stop: not ready within 2s/);
            assert.match(r.stdout, /^data: old$/m);
            assert.doesNotMatch(r.calls, /snapshot restore/);
        });

        it("a second run does nothing", async () => {
            const r = await runStep(renderRestoreData(SPEC), `${manifests}mkdir -p ${STATE} && touch ${STATE}/data-restored && `, show);
            assert.match(r.stdout, /exit=0/);
            assert.match(r.stdout, /the data is already restored on cp2/);
            assert.match(r.stdout, /^manifest-dir: etcd\.yaml$/m);
            assert.doesNotMatch(r.calls, /etcdutl/);
        });
    });

    describe("3. start", () => {
        const kept = `mkdir -p ${STATE}/manifests && echo etcd-manifest > ${STATE}/manifests/etcd.yaml && echo apiserver-manifest > ${STATE}/manifests/kube-apiserver.yaml && `;
        const show = `cat ${ETCD_MANIFEST_PATH} ${APISERVER_MANIFEST_PATH} | sed 's/^/back: /'; ls -A ${STATE}/manifests | sed 's/^/left: /'; ls -A /etc/kubernetes/manifests | sed 's/^/dir: /'; [ -e ${restoredMarker(SPEC.id)} ] && echo restored; true`;

        it("puts the manifests back as they were, restarts the kubelet, marks the restore done", async () => {
            const r = await runStep(renderRestoreStart(SPEC), `${kept}touch ${STATE}/data-restored && `, show);
            assert.match(r.stdout, /exit=0/, r.stderr);
            assert.match(r.stdout, /^back: etcd-manifest\nback: apiserver-manifest$/m);
            assert.doesNotMatch(r.stdout, /^left: /m);
            assert.deepEqual(
                r.stdout.split("\n").filter((l) => l.startsWith("dir: ")),
                ["dir: etcd.yaml", "dir: kube-apiserver.yaml"],
            );
            assert.match(r.stdout, /^restored$/m);
            assert.match(r.calls, /^systemctl restart kubelet\.service$/m);
        });

        it("refuses where the data step did not finish", async () => {
            const r = await runStep(renderRestoreStart(SPEC), kept, show);
            assert.match(r.stdout, /exit=1/);
            assert.match(r.stderr, /its data was not restored \(the step before did not finish here\)/);
            assert.doesNotMatch(r.calls, /restart kubelet/);
        });
    });

    it("refuses an id that is not one (it is part of paths)", () => {
        assert.throws(() => renderRestoreCheck({ ...SPEC, id: "../x" }), /etcdRestore\.id: "\.\.\/x" is not a restore id/);
    });
});
