// Cluster check 1a: a Kubernetes minor upgrade by a stack edit and `lab:apply`, in the order the
// version-skew policy asks (controlplane/cluster.ts): the lab came up at the release before the
// stack's (upgrade.ts, with V6K8S_LAB_UPGRADE=1), and one `pulumi up` of the stack's own release
// takes it there: every apiserver (and etcd, 3.5 -> 3.6, one member at a time behind the restart
// gate) first, then the controller-managers and schedulers, then each kubelet, drained and
// uncordoned, control-plane nodes included. Throughout, a sampler (skewSampler.ts) asks every 2 s
// for each apiserver's /version, each Node's kubelet version and the static pods' images, and
// never may see a kubelet, controller-manager or scheduler newer than the oldest serving
// apiserver; a workload (two replicas, a PodDisruptionBudget) is probed by name and the apiservers
// through [::1]:7445, both from lab1's machine (every node is drained once, so no pod is a probe
// that stays). Then a control-plane downgrade is refused before anything changes, naming the key.
import { strict as assert } from "assert";
import { readStackFile } from "../../../components/config/stackFile";
import { CLUSTER_STACK } from "../../config";
import { diagnostics, engineSteps } from "../../engine/engine";
import { testLog } from "../../owner";
import { eventually } from "../../run";
import { etcdMemberHealth } from "../checks";
import { DAY2_NS, applyProbed, assertServed, startHostProbes, startWorkload } from "../day2";
import { stackVariant, applyToLab } from "../labApply";
import { kubectl, kubectlJson } from "../operator";
import { cluster, operator } from "../session";
import { LAB_STACK_FILE } from "../ssh";
import { startSkewSampler } from "../skewSampler";
import { refresh, waitNodesReady } from "../up";
import { UPGRADE_ENV, UPGRADE_FROM, releaseOf, setStackRelease, upgradeFrom } from "../upgrade";

interface NodeList {
    items: {
        metadata: { name: string; annotations?: Record<string, string> };
        spec: { unschedulable?: boolean };
        status: { nodeInfo: { kubeletVersion: string } };
    }[];
}
interface PodList {
    items: { metadata: { name: string; labels?: Record<string, string> }; spec: { containers: { image: string }[] } }[];
}

describe("cluster 1a. upgrading a minor with pulumi up, in the version-skew policy's order, probed and sampled", function () {
    this.timeout(45 * 60_000);
    let target: ReturnType<typeof releaseOf>;

    before(function () {
        // Opt-in for now (lab README, item 18): in the one full run with it, checks 7d and 7e
        // failed on the upgraded cluster, cause not yet known; run alone it passes.
        if (!upgradeFrom()) {
            console.warn(
                `\n  !!! SKIPPED check 1a: it needs the lab started at ${UPGRADE_FROM.kubernetesVersion}: ${UPGRADE_ENV}=1 npm run test:lab:cluster !!!\n`,
            );
            this.skip();
        }
        // The stack the lab was prepared from (mocha-hooks.ts), at its own release.
        target = releaseOf(readStackFile(process.env.V6K8S_LAB_CLUSTER_STACK ?? CLUSTER_STACK));
        assert.equal(
            cluster().config.cluster.kubernetesVersion,
            UPGRADE_FROM.kubernetesVersion,
            "the lab did not start at the old release",
        );
    });

    after(async () => {
        await kubectl(operator(), ["delete", "namespace", DAY2_NS, "--ignore-not-found", "--wait=false"], { allowFail: true });
    });

    it(`upgrade ${UPGRADE_FROM.kubernetesVersion} -> the stack's release in one lab:apply: no skew the policy forbids, every kubelet drained around its change, serving throughout`, async () => {
        const c = cluster();
        await startWorkload(["w1", "lab2"], "lab1", { fromMachine: true });
        setStackRelease(LAB_STACK_FILE, target);
        const sampler = startSkewSampler();
        let samples: Awaited<ReturnType<ReturnType<typeof startSkewSampler>["stop"]>> = [];
        let result: Awaited<ReturnType<typeof applyProbed>>;
        try {
            result = await applyProbed(LAB_STACK_FILE, { probes: startHostProbes });
        } finally {
            samples = await sampler.stop();
        }
        const { r, probes, steps } = result;
        testLog(
            `pulumi up to ${target.kubernetesVersion}: ${JSON.stringify(r.summary)} in ${r.seconds.toFixed(1)} s; ${samples.length} skew samples`,
        );
        assert.equal(r.code, 0, `the upgrade failed:\n${diagnostics(r.stdout + r.stderr)}`);

        // The order, as the engine ran it: every apiserver's start before any controllers step,
        // every controllers step before any kubelet change.
        const done = engineSteps(r.stdout)
            .filter((s) => s.op !== "deleted")
            .map((s) => s.name);
        const last = (re: RegExp) => Math.max(...done.flatMap((n, i) => (re.test(n) ? [i] : [])));
        const first = (re: RegExp) => Math.min(...done.flatMap((n, i) => (re.test(n) ? [i] : [])));
        testLog(`steps in order: ${done.filter((n) => /^k8s-/.test(n)).join(" ")}`);
        const cps = c.config.nodes.filter((n) => n.roles.includes("control-plane")).map((n) => n.name);
        const cpStart = new RegExp(`^k8s-(${cps.join("|")})-start$`);
        assert.ok(last(cpStart) < first(/^k8s-.+-controllers$/), "a controllers step ran before every control-plane start step");
        assert.ok(
            last(/^k8s-.+-controllers$/) < first(/^k8s-.+-kubelet$|^k8s-w\d+-binaries$/),
            "a kubelet changed before every controllers step",
        );

        const violations = samples.flatMap((s) => s.violations.map((v) => `${new Date(s.at).toISOString()} ${v}`));
        assert.deepEqual(violations, [], "the sampler saw what the version-skew policy forbids");
        const oldSeen = samples.some((s) => Object.values(s.apiservers).some((v) => v === `v${UPGRADE_FROM.kubernetesVersion}`));
        const mixed = samples.some(
            (s) =>
                Object.values(s.kubelets).some((v) => v === `v${UPGRADE_FROM.kubernetesVersion}`) &&
                Object.values(s.apiservers).includes(`v${target.kubernetesVersion}`),
        );
        assert.ok(
            samples.length > 20 && oldSeen && mixed,
            `the sampler did not watch the upgrade (${samples.length} samples; old apiserver seen: ${oldSeen}; old kubelets under new apiservers: ${mixed})`,
        );
        assertServed(probes, steps);

        // After: every node at the release, schedulable, our annotation gone; the static pods' images; etcd 3.6, every member healthy.
        await waitNodesReady(c.state, c.config);
        const nodes = await kubectlJson<NodeList>(operator(), ["get", "nodes"]);
        for (const n of nodes.items) {
            assert.equal(n.status.nodeInfo.kubeletVersion, `v${target.kubernetesVersion}`, `${n.metadata.name}'s kubelet`);
            assert.ok(!n.spec.unschedulable, `${n.metadata.name} is still cordoned`);
            assert.equal(n.metadata.annotations?.["v6k8s.io/cordoned-for-kubelet"], undefined, `${n.metadata.name}'s cordon annotation`);
        }
        const pods = await kubectlJson<PodList>(operator(), ["-n", "kube-system", "get", "pods", "-l", "tier=control-plane"]);
        const images = pods.items.map((p) => `${p.metadata.name} ${p.spec.containers[0].image}`);
        testLog(`control-plane images: ${images.join(", ")}`);
        for (const component of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
            const of = images.filter((i) => i.startsWith(`${component}-`));
            assert.equal(of.length, cps.length, `${component} pods: ${of.join(", ")}`);
            for (const i of of) assert.ok(i.endsWith(`:v${target.kubernetesVersion}`), i);
        }
        for (const i of images.filter((x) => x.startsWith("etcd-"))) assert.match(i, /registry\.k8s\.io\/etcd:3\.6\.\d+-0$/);
        let health = "";
        const healthy = await eventually(
            async () => {
                const h = await etcdMemberHealth(cps[0]);
                health = h.raw;
                return h.members !== null && h.members.length === cps.length && h.members.every((m) => m.health);
            },
            120_000,
            5000,
        );
        assert.ok(healthy, `etcd after the upgrade: ${health}`);
    });

    it("a control-plane downgrade is refused by the preflight, naming the key, and changes nothing", async () => {
        const c = cluster();
        assert.equal(c.config.cluster.kubernetesVersion, target.kubernetesVersion, "the upgrade did not happen (above)");
        const back = stackVariant("downgrade", (doc, key) => {
            doc.setIn(["config", key("cluster"), "kubernetesVersion"], UPGRADE_FROM.kubernetesVersion);
            doc.setIn(["config", key("cluster"), "etcdVersion"], UPGRADE_FROM.etcdVersion);
        });
        const r = await applyToLab(c, back);
        await refresh(c, LAB_STACK_FILE);
        assert.notEqual(r.code, 0, "a downgrade went through");
        assert.match(
            diagnostics(r.stdout + r.stderr),
            new RegExp(
                `cluster\\.kubernetesVersion: refusing to take this control-plane node from 1\\.\\d+ back to ${UPGRADE_FROM.kubernetesVersion.replace(/\./g, "\\.")}`,
            ),
        );
        const p = await c.engine.preview(LAB_STACK_FILE, ["--expect-no-changes"]);
        assert.equal(p.code, 0, `the refused downgrade changed something:\n${diagnostics(p.stdout + p.stderr)}`);
    });
});
