// Cluster check 4b: a file the Kubernetes files step no longer renders goes, and the real kubelet
// stops what it ran (components/hosts/render/owned.ts). On a worker the files step first runs as
// if its render had one more static pod (a pause container on the host network), so the step's
// owned list names it and the kubelet runs it; then the real step runs: its list removes the
// manifest, the kubelet stops the pod, and nothing else on the node restarts. This is what a node
// leaving the control plane goes through with etcd's and the apiserver's manifests.
import { strict as assert } from "assert";
import { MANIFEST_DIR } from "../../../components/controlplane/paths";
import { defaultImages } from "../../../components/controlplane/render/defaults";
import { filesCommand } from "../../../components/controlplane/steps";
import { OWNED_DIR, OWNERS } from "../../../components/hosts/render/owned";
import { PodList, containerStates } from "../checks";
import { sshOnHost } from "../ssh";
import { kubectl, kubectlJson } from "../operator";
import { cluster, operator } from "../session";

const PROBE = "v6k8s-prune-probe";
const PROBE_PATH = `${MANIFEST_DIR}/${PROBE}.yaml`;

function probeManifest(image: string): string {
    return JSON.stringify(
        {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: PROBE, namespace: "kube-system" },
            spec: {
                hostNetwork: true,
                terminationGracePeriodSeconds: 1,
                containers: [{ name: "probe", image, imagePullPolicy: "IfNotPresent" }],
            },
        },
        null,
        2,
    );
}

/** Every container on `node` but the probe's: ID and restarts. */
async function containersOn(node: string): Promise<Map<string, string>> {
    const pods = await kubectlJson<PodList>(operator(), ["get", "pods", "-A"]);
    return containerStates(pods.items.filter((x) => x.spec.nodeName === node && !x.metadata.name.startsWith(PROBE)));
}

async function until(what: string, seconds: number, check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < seconds; i++) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`lab: ${what} within ${seconds} s`);
}

describe("cluster 4b. a file the files step no longer renders", () => {
    it("goes by the step's owned list; the kubelet stops its static pod; nothing else on the node restarts", async function () {
        this.timeout(10 * 60_000);
        const worker = cluster().steps.find((s) => !s.controlPlane);
        assert.ok(worker, "the lab stack has a worker");
        const node = worker.host.name;
        const mirror = `${PROBE}-${node}`;
        const phase = async () =>
            await kubectl(operator(), ["-n", "kube-system", "get", "pod", mirror, "-o", "jsonpath={.status.phase}"], { allowFail: true });
        const before = await containersOn(node);

        const withProbe = new Map(worker.rendered.kubernetes);
        withProbe.set(PROBE_PATH, {
            content: probeManifest(defaultImages(cluster().config.cluster.kubernetesVersion).pause),
            mode: "0600",
        });
        const first = await sshOnHost(worker.host, filesCommand(withProbe), { allowFail: true });
        assert.equal(first.code, 0, first.stderr);
        await until(`the kubelet on ${node} runs ${PROBE}`, 180, async () => (await phase()).stdout === "Running");

        const real = await sshOnHost(worker.host, worker.commands.files, { allowFail: true });
        assert.equal(real.code, 0, real.stderr);
        assert.match(real.stdout, new RegExp(`^v6k8s: removing ${PROBE_PATH} \\(no longer rendered\\)$`, "m"));
        const list = await sshOnHost(worker.host, `cat ${OWNED_DIR}/${OWNERS.kubernetesFiles}.list`);
        assert.deepEqual(list.stdout.split("\n").filter(Boolean), [...worker.rendered.kubernetes.keys()]);
        await until(`the kubelet on ${node} stops ${PROBE}`, 180, async () => {
            const r = await phase();
            return r.code !== 0 && /NotFound/.test(r.stderr);
        });

        const again = await sshOnHost(worker.host, worker.commands.files, { allowFail: true });
        assert.equal(again.code, 0, again.stderr);
        assert.equal(again.stdout, "", "a re-run finds nothing to remove");
        assert.deepEqual(await containersOn(node), before, "another container on the node changed");
    });
});
