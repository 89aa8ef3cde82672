import { strict as assert } from "assert";
import { assertReachable, hostTarget, podTarget } from "../checks/reach";
import { lab, testPods } from "../session";

describe("1. pod to pod across every pair of hosts over ULA, and pod to host", () => {
    it("every pod reaches the pod of every other host at its ULA (over the WireGuard mesh)", async () => {
        const pods = testPods();
        assert.ok(new Set(pods.map((p) => p.host)).size >= 3, "the lab needs pods on at least three hosts");
        await assertReachable(lab(), pods, pods.map(podTarget), "pod to pod over ULA");
    });

    it("every pod reaches its own host and every other host at the host's mesh ULA", async () => {
        await assertReachable(lab(), testPods(), lab().hosts.map(hostTarget), "pod to host");
    });

    it("pods carry the plan's addresses: the ULA from <nodeula>:1::/96 first, the GUA from <nodegua>:1::/96", () => {
        for (const pod of testPods()) {
            const host = lab().hosts.find((h) => h.name === pod.host)!;
            assert.ok(pod.ula.startsWith(host.podUla.replace(/::\/96$/, ":")), `${pod.ns} ULA ${pod.ula} is not in ${host.podUla}`);
            assert.ok(pod.gua.startsWith(host.podGua.replace(/::\/96$/, ":")), `${pod.ns} GUA ${pod.gua} is not in ${host.podGua}`);
        }
    });
});
