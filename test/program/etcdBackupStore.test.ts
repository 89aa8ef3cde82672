// cluster.etcdBackup.s3 under Pulumi mocks: every control-plane node has a `k8s-<node>-etcd-backup-s3`
// step whose secret stdin carries the store's settings, the credentials and the CA (nothing without
// a store: the step then removes earlier files); the credentials appear in no other input; new
// credentials change that step only (no control-plane restart); an `s3:` restore downloads after
// it. And the config: bad values name their key, the secrets are required with a store.
import { strict as assert } from "assert";
import * as fs from "fs";
import { parse } from "yaml";
import { projectKeys } from "../../components/config/stackFile";
import { requiredSecrets, secretValueProblems, validateStackConfig } from "../../components/config/load";
import { S3_AUTH_PATH, S3_CA_PATH, S3_SETTINGS_PATH } from "../../components/controlplane/render/etcdBackupS3";
import { PROD_FILE } from "../addons/support";
import { decodeStdinFiles } from "../support/decodeFiles";
import { RecordedResource, TEST_S3_CREDENTIALS } from "../support/pulumiMocks";
import { isSecret, resourceNamed as get, unwrapSecret } from "../support/recorded";
import { sharedRun } from "../support/sharedRuns";
import { selfSignedLocalhost } from "../runtime/scratch";
import * as os from "os";
import * as path from "path";

type Raw = { cluster: Record<string, unknown>; nodes: { name: string; roles: string[] }[] };

function prod(edit: (raw: Raw) => void = () => undefined): Record<string, unknown> {
    const raw = projectKeys(parse(fs.readFileSync(PROD_FILE, "utf8")).config, "v6k8s") as unknown as Raw;
    edit(raw);
    return raw as unknown as Record<string, unknown>;
}

const caPem = (() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-s3-ca-"));
    try {
        selfSignedLocalhost(dir);
        return fs.readFileSync(`${dir}/c`, "utf8");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
})();
const STORE = {
    endpoint: "https://fsn1.your-objectstorage.com",
    region: "fsn1",
    bucket: "prod-etcd",
    prefix: "prod/",
    caCertificate: caPem,
};
const withStore = () => prod((r) => (r.cluster = { ...r.cluster, etcdBackup: { s3: STORE } }));
const stdinOf = (rs: RecordedResource[], name: string) => decodeStdinFiles(unwrapSecret<string>(get(rs, name).inputs.stdin));

describe("cluster.etcdBackup.s3 under Pulumi mocks", function () {
    this.timeout(180_000);
    let plain: RecordedResource[];
    let stored: RecordedResource[];
    let cps: string[];
    before(async () => {
        const raw = prod((r) => (cps = r.nodes.filter((n) => n.roles.includes("control-plane")).map((n) => n.name)));
        ({ resources: plain } = await sharedRun(raw));
        ({ resources: stored } = await sharedRun(withStore()));
    });

    it("a store step on every control-plane node only, after its preflight; without a store it writes nothing (and so removes earlier files)", () => {
        const steps = plain.filter((r) => /-etcd-backup-s3$/.test(r.name)).map((r) => r.name);
        assert.deepEqual(steps.sort(), cps.map((n) => `k8s-${n}-etcd-backup-s3`).sort());
        for (const n of cps) {
            assert.equal(stdinOf(plain, `k8s-${n}-etcd-backup-s3`).size, 0);
            assert.ok(get(plain, `k8s-${n}-etcd-backup-s3`).dependsOn.includes(`k8s-${n}-preflight`));
        }
    });

    it("with a store: its settings (this node's name), the credentials (0600) and the CA, on the step's secret stdin", () => {
        for (const n of cps) {
            const r = get(stored, `k8s-${n}-etcd-backup-s3`);
            assert.ok(isSecret(r.inputs.stdin), "stdin is secret");
            const files = stdinOf(stored, r.name);
            assert.deepEqual([...files.keys()].sort(), [S3_AUTH_PATH, S3_CA_PATH, S3_SETTINGS_PATH].sort());
            assert.equal(files.get(S3_AUTH_PATH)!.mode, "0600");
            assert.equal(files.get(S3_AUTH_PATH)!.content, `user = "${TEST_S3_CREDENTIALS.accessKey}:${TEST_S3_CREDENTIALS.secretKey}"\n`);
            assert.match(files.get(S3_SETTINGS_PATH)!.content, new RegExp(`^S3_NODE='${n}'$`, "m"));
            assert.match(files.get(S3_SETTINGS_PATH)!.content, /^S3_ENDPOINT='https:\/\/fsn1\.your-objectstorage\.com'$/m);
            assert.match(files.get(S3_SETTINGS_PATH)!.content, /^S3_KEEP='28'$/m);
            assert.equal(files.get(S3_CA_PATH)!.content, caPem.trimEnd() + "\n");
        }
    });

    it("the secret key is in no other input of any resource, nor in a trigger", () => {
        for (const r of stored) {
            const inputs = { ...r.inputs, ...(/-etcd-backup-s3$/.test(r.name) ? { stdin: undefined } : {}) };
            assert.ok(!JSON.stringify(inputs).includes(TEST_S3_CREDENTIALS.secretKey), `${r.name} holds the S3 secret key`);
        }
    });

    it("a store changes no other Kubernetes step: no control-plane restart for a new bucket or key", () => {
        for (const n of [...cps, "w1"]) {
            for (const s of ["preflight", "pki", "files", "binaries", "start"]) {
                assert.deepEqual(get(stored, `k8s-${n}-${s}`).inputs, get(plain, `k8s-${n}-${s}`).inputs, `k8s-${n}-${s} changed`);
            }
        }
        for (const n of cps)
            assert.notDeepEqual(
                get(stored, `k8s-${n}-etcd-backup-s3`).inputs.triggers,
                get(plain, `k8s-${n}-etcd-backup-s3`).inputs.triggers,
            );
    });

    it("an s3: restore checks (downloads) after every node's store step", async () => {
        const raw = withStore();
        (raw.cluster as Record<string, unknown>).etcdRestore = {
            id: "2026-12-07-b",
            snapshot: "s3:prod/cp1/etcd-20261207T000000Z.db",
            sha256: "ab".repeat(32),
        };
        const { resources } = await sharedRun(raw);
        for (const n of cps)
            for (const m of cps) assert.ok(get(resources, `k8s-${n}-etcd-restore-check`).dependsOn.includes(`k8s-${m}-etcd-backup-s3`));
    });
});

describe("cluster.etcdBackup.s3 config", () => {
    const problems = (raw: Record<string, unknown>): string => {
        try {
            validateStackConfig(raw);
            return "";
        } catch (e) {
            return (e as Error).message;
        }
    };
    const store = (s3: Record<string, unknown>) => prod((r) => (r.cluster = { ...r.cluster, etcdBackup: { s3: { ...STORE, ...s3 } } }));

    for (const [key, value, message] of [
        ["endpoint", "http://fsn1.your-objectstorage.com", /cluster\.etcdBackup\.s3\.endpoint: .*is not an https:\/\/host\[:port\] URL/],
        ["endpoint", "https://fsn1.your-objectstorage.com/bucket", /cluster\.etcdBackup\.s3\.endpoint: .*without a path/],
        ["bucket", "Prod_Etcd", /cluster\.etcdBackup\.s3\.bucket: must be an S3 bucket name/],
        ["prefix", "prod", /cluster\.etcdBackup\.s3\.prefix: must be empty or path segments/],
        ["region", "", /cluster\.etcdBackup\.s3\.region: /],
        ["keep", 0, /cluster\.etcdBackup\.s3\.keep: /],
        ["caCertificate", "not a certificate", /cluster\.etcdBackup\.s3\.caCertificate: must be PEM CA certificates/],
        ["bukket", "x", /cluster\.etcdBackup\.s3\.bukket: unknown key \(did you mean "bucket"\?\)/],
    ] as const) {
        it(`refuses ${key}: ${JSON.stringify(value)}, naming the key`, () => {
            assert.match(problems(store({ [key]: value })), message);
        });
    }

    it("needs the two secrets with a store (and not without); checks their form without echoing them", () => {
        assert.deepEqual(requiredSecrets(validateStackConfig(prod())).includes("etcdBackupS3AccessKey"), false);
        assert.deepEqual(
            requiredSecrets(validateStackConfig(store({}))).filter((k) => k.startsWith("etcdBackupS3")),
            ["etcdBackupS3AccessKey", "etcdBackupS3SecretKey"],
        );
        const bad = secretValueProblems({ etcdBackupS3AccessKey: "AK:X", etcdBackupS3SecretKey: 'zz"q9' });
        assert.equal(bad.length, 2, bad.join("\n"));
        assert.match(bad[0], /^etcdBackupS3AccessKey: /);
        assert.match(bad[1], /^etcdBackupS3SecretKey: /);
        assert.ok(!bad.join("\n").includes("zz"), "the value is not echoed");
        assert.deepEqual(secretValueProblems({ etcdBackupS3AccessKey: "AKIA1", etcdBackupS3SecretKey: "a/b+c=" }), []);
    });

    it("an s3: restore needs the store", () => {
        const raw = prod(
            (r) =>
                (r.cluster = {
                    ...r.cluster,
                    etcdRestore: { id: "x1", snapshot: "s3:prod/cp1/etcd-20261207T000000Z.db", sha256: "ab".repeat(32) },
                }),
        );
        assert.match(problems(raw), /cluster\.etcdRestore\.snapshot: is an s3: key, but cluster\.etcdBackup\.s3 \(the store\) is not set/);
    });
});
