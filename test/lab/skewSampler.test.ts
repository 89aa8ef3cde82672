// The upgrade check's judge (lab/cluster/skewSampler.ts): which versions the version-skew policy
// forbids at one moment. A table, on the policy's words: no kubelet, controller-manager or
// scheduler newer than the oldest apiserver serving then.
import { strict as assert } from "assert";
import { skewViolations } from "../../lab/cluster/skewSampler";

const OLD = "v1.33.13";
const NEW = "v1.34.2";

describe("the upgrade check's version-skew judge", () => {
    const cases: [string, Parameters<typeof skewViolations>[0], string[]][] = [
        [
            "all old",
            { apiservers: { lab1: OLD, lab2: OLD }, kubelets: { lab1: OLD, w1: OLD }, controllers: { "kube-scheduler-lab1": OLD } },
            [],
        ],
        [
            "one apiserver new, everything else old",
            { apiservers: { lab1: NEW, lab2: OLD }, kubelets: { w1: OLD }, controllers: { "kube-controller-manager-lab1": OLD } },
            [],
        ],
        [
            "a controller-manager new while one apiserver is old",
            { apiservers: { lab1: NEW, lab2: OLD }, kubelets: {}, controllers: { "kube-controller-manager-lab1": NEW } },
            ["static pod kube-controller-manager-lab1 v1.34.2 > apiserver lab2 v1.33.13"],
        ],
        [
            "a kubelet new while one apiserver is old",
            { apiservers: { lab1: NEW, lab3: OLD }, kubelets: { w1: NEW, lab1: OLD }, controllers: {} },
            ["kubelet w1 v1.34.2 > apiserver lab3 v1.33.13"],
        ],
        [
            "an old apiserver not serving (restarting) does not count",
            { apiservers: { lab1: NEW, lab2: NEW }, kubelets: { w1: NEW }, controllers: { "kube-scheduler-lab2": NEW } },
            [],
        ],
        [
            "a newer patch counts too",
            { apiservers: { lab1: "v1.34.2" }, kubelets: { w1: "v1.34.3" }, controllers: {} },
            ["kubelet w1 v1.34.3 > apiserver lab1 v1.34.2"],
        ],
        ["no apiserver answering: nothing to judge", { apiservers: {}, kubelets: { w1: NEW }, controllers: {} }, []],
    ];
    for (const [title, sample, want] of cases) it(title, () => assert.deepEqual(skewViolations(sample), want));
});
