// Cluster check 7e: rotating the encryption key at rest through `pulumi up` (the real engine), in
// the three runs the program enforces (config/encryptionKey.ts rotationProblems): the new key
// first at once is refused before any control-plane step; then (1) `<old>,<new>`, (2)
// `<new>,<old>`; `<new>` alone is refused on the first control-plane node while Secrets are still
// stored under the old key (render/encryptionRewritten.ts); every Secret rewritten; (3) `<new>`.
// After each run every apiserver, asked on
// its own public address, reads every Secret (one Secret a reader cannot decrypt fails the whole
// list); after (2) etcd holds every Secret encrypted under the new key's name (the raw value's
// `k8s:enc:secretbox:v1:<name>:` prefix), and after (3) no apiserver's configuration has the old
// key. The lab keeps the new key for the checks after this one.
import { strict as assert } from "assert";
import { randomBytes } from "crypto";
import { httpsUrl } from "../../../components/common/net";
import { APISERVER_PORT } from "../../../components/common/ports";
import { encryptionKeyName } from "../../../components/config/encryptionKey";
import { ENCRYPTION_CONFIG_PATH } from "../../../components/controlplane/render/encryption";
import { engineSteps } from "../../engine/engine";
import { labEncryptionKey, setLabEncryptionKey } from "../../engine/labStack";
import { testLog } from "../../owner";
import { TEST_NS, etcdctlIn } from "../checks";
import { kubectl } from "../operator";
import { cluster, labState, operator } from "../session";
import { LAB_STACK_FILE, sshOnHost } from "../ssh";
import { applyStack } from "../up";

const PROBE = "rotation-probe";
const VALUE = "written before the rotation";

/** The lab's control-plane hosts, as the stack applied last names them. */
const controlPlaneHosts = () =>
    labState().hosts.filter((h) => cluster().config.nodes.some((n) => n.name === h.name && n.roles.includes("control-plane")));

/** Every control-plane host's apiserver lists every Secret, and reads the probe's value. */
async function everyApiserverReadsEverySecret(stage: string): Promise<void> {
    for (const h of controlPlaneHosts()) {
        const server = httpsUrl(h.publicAddress, APISERVER_PORT);
        const r = await kubectl(operator(), [`--server=${server}`, "get", "secrets", "-A", "-o", "json"], { allowFail: true });
        assert.equal(r.code, 0, `${stage}: ${h.name}'s apiserver could not list every Secret: ${r.stderr}`);
        const items = (
            JSON.parse(r.stdout) as { items: { metadata: { name: string; namespace: string }; data?: Record<string, string> }[] }
        ).items;
        const probe = items.find((s) => s.metadata.namespace === TEST_NS && s.metadata.name === PROBE);
        assert.equal(Buffer.from(probe?.data?.value ?? "", "base64").toString(), VALUE, `${stage}: ${h.name} read the probe wrong`);
    }
}

async function applied(stage: string): Promise<void> {
    const r = await applyStack(cluster(), LAB_STACK_FILE);
    testLog(`pulumi up ${stage}: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s`);
}

describe("cluster 7e. encryption key rotation, in three runs of pulumi up", function () {
    this.timeout(1_200_000);
    let old = "";
    const fresh = randomBytes(32).toString("base64");

    before(async () => {
        old = labEncryptionKey();
        await kubectl(operator(), ["-n", TEST_NS, "delete", "secret", PROBE, "--ignore-not-found"]);
        await kubectl(operator(), ["-n", TEST_NS, "create", "secret", "generic", PROBE, `--from-literal=value=${VALUE}`]);
    });

    it("the new key first at once is refused before any control-plane step, naming encryptionKey", async () => {
        setLabEncryptionKey(`${fresh},${old}`);
        const r = await cluster().engine.apply(LAB_STACK_FILE);
        assert.notEqual(r.code, 0, "pulumi up took a new writer key nobody could read yet");
        assert.match(
            r.stdout + r.stderr,
            /encryptionKey: its first key \(the one new Secrets are written with\) was not a key of the previous `pulumi up`/,
        );
        const touched = engineSteps(r.stdout).filter((s) => s.name.startsWith("k8s-"));
        assert.deepEqual(touched, [], `the refused run changed Kubernetes steps: ${JSON.stringify(touched)}`);
    });

    it("(1) <old>,<new>: the new key becomes a reader everywhere; every apiserver reads every Secret", async () => {
        setLabEncryptionKey(`${old},${fresh}`);
        await applied("(1) <old>,<new>");
        await everyApiserverReadsEverySecret("(1)");
    });

    it("(2) <new>,<old>: the new key writes; every apiserver reads every Secret", async () => {
        setLabEncryptionKey(`${fresh},${old}`);
        await applied("(2) <new>,<old>");
        await everyApiserverReadsEverySecret("(2)");
    });

    it("<new> alone before every Secret is rewritten is refused on the first control-plane node, before any control-plane step", async () => {
        setLabEncryptionKey(fresh);
        const r = await cluster().engine.apply(LAB_STACK_FILE);
        assert.notEqual(r.code, 0, "pulumi up dropped a key Secrets are still stored under");
        assert.match(
            r.stdout + r.stderr,
            new RegExp(
                `encryptionKey: \\d+ Secret\\(s\\) are stored under the key ${encryptionKeyName(old)}, which this run's encryptionKey drops`,
            ),
        );
        const touched = engineSteps(r.stdout).filter((s) => s.name.startsWith("k8s-"));
        assert.deepEqual(touched, [], `the refused run changed Kubernetes steps: ${JSON.stringify(touched)}`);
        await everyApiserverReadsEverySecret("after the refused run");
    });

    it("every Secret rewritten: etcd holds every Secret under the new key", async () => {
        const all = await kubectl(operator(), ["get", "secrets", "-A", "-o", "json"]);
        const replaced = await kubectl(operator(), ["replace", "-f", "-"], { input: all.stdout, allowFail: true });
        assert.equal(replaced.code, 0, `kubectl replace: ${replaced.stderr}`);
        const raw = await etcdctlIn("lab1", ["get", "/registry/secrets/", "--prefix", "-w", "json"]);
        assert.equal(raw.code, 0, raw.stderr);
        const kvs = (JSON.parse(raw.stdout) as { kvs?: { key: string; value: string }[] }).kvs ?? [];
        const prefix = `k8s:enc:secretbox:v1:${encryptionKeyName(fresh)}:`;
        const stale = kvs
            .map((kv) => ({ key: Buffer.from(kv.key, "base64").toString(), value: Buffer.from(kv.value, "base64") }))
            .filter((kv) => !kv.value.subarray(0, prefix.length).equals(Buffer.from(prefix)))
            // The name and, for an encrypted value, its provider and key name: never a plaintext byte.
            .map((kv) => {
                const head = kv.value.subarray(0, prefix.length).toString();
                return `${kv.key} (${head.startsWith("k8s:enc:") ? head : "not encrypted"})`;
            });
        assert.ok(kvs.length > 0, "etcd lists no Secret");
        assert.deepEqual(stale, [], `Secrets not under ${prefix}`);
    });

    it("(3) <new> alone: every apiserver reads every Secret, and no apiserver's configuration has the old key", async () => {
        setLabEncryptionKey(fresh);
        await applied("(3) <new>");
        await everyApiserverReadsEverySecret("(3)");
        for (const h of controlPlaneHosts()) {
            // Counted on the host: the file is key material, never printed.
            const count = async (name: string) =>
                (await sshOnHost(h, `grep -c -e 'name: ${name}' ${ENCRYPTION_CONFIG_PATH} || true`)).stdout.trim();
            assert.equal(await count(encryptionKeyName(fresh)), "1", `${h.name}: the new key is not in its configuration`);
            assert.equal(await count(encryptionKeyName(old)), "0", `${h.name}: the old key is still in its configuration`);
        }
        testLog(`encryption key rotated: ${encryptionKeyName(old)} -> ${encryptionKeyName(fresh)}`);
    });
});
