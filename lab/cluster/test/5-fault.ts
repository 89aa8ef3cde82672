// Cluster check 5: a control-plane host loses power. The others keep an API: from every other
// node, through its own [::1]:7445, kubectl lists the nodes and a write succeeds. Powered on, it
// rejoins: Ready again and every etcd member healthy.
import { strict as assert } from "assert";
import { RunResult, eventually, run } from "../../run";
import type { LabHost } from "../../state";
import * as fs from "fs";
import * as path from "path";
import { STATE_DIR } from "../../config";
import { machineArgv, machineEnv } from "../machine";
import { powerOffCluster, powerOnCluster } from "../power";
import { cluster, labState, operator } from "../session";
import { waitNodesReady } from "../up";
import { NODE_LOCAL_APISERVER, TEST_NS, etcdMemberHealth } from "../checks";

describe("cluster 5. power off a control-plane host", () => {
    it("the others still serve the API through their node-local proxy; powered on, it rejoins and etcd is healthy", async function () {
        this.timeout(15 * 60_000);
        const state = labState();
        const cps = cluster()
            .steps.filter((s) => s.controlPlane)
            .map((s) => s.host);
        // Not the first one: the operator's kubeconfig points at it.
        const victim = cps[cps.length - 1];
        powerOffCluster(victim);
        const others = state.hosts.filter((h) => h !== victim);
        const c = operator();
        // kubectl as the hosts see it: the toolchain cache lives under the machine's /root, which
        // each host has its own of (the sshd sessions' home), so a copy under the lab's state.
        const kubectlInMachines = path.join(STATE_DIR, "bin", "kubectl");
        fs.mkdirSync(path.dirname(kubectlInMachines), { recursive: true });
        fs.copyFileSync(c.kubectl, kubectlInMachines);
        fs.chmodSync(kubectlInMachines, 0o755);
        // A client retries through a failover (etcd may elect a new leader, HAProxy marks the
        // member down after its health checks): each read and write must succeed within a minute.
        const within = async (h: LabHost, args: string[]): Promise<RunResult> => {
            const argv = machineArgv(h, [
                kubectlInMachines,
                `--kubeconfig=${c.kubeconfig}`,
                `--server=${NODE_LOCAL_APISERVER}`,
                "--request-timeout=10s",
                ...args,
            ]);
            let last: RunResult = { code: 1, stdout: "", stderr: "not run" };
            await eventually(
                async () => (last = await run(argv, { env: machineEnv(h), allowFail: true, timeoutMs: 30_000 })).code === 0,
                60_000,
                1000,
            );
            return last;
        };
        for (const h of others) {
            const get = await within(h, ["get", "nodes", "-o", "name"]);
            assert.equal(get.code, 0, `${h.name}: kubectl get nodes: ${get.stderr}`);
            assert.match(get.stdout, new RegExp(`node/${victim.name}`));
            const write = await within(h, [
                "-n",
                TEST_NS,
                "create",
                "configmap",
                `written-from-${h.name}`,
                `--from-literal=during=${victim.name}-off`,
            ]);
            assert.equal(write.code, 0, `${h.name}: write: ${write.stderr}`);
        }
        await powerOnCluster(victim);
        await waitNodesReady(state, cluster().config, 600_000);
        // The member that was off catches up with the others before it reports healthy: ask
        // until every member is healthy, for at most three minutes.
        let last = "";
        const healthy = await eventually(
            async () => {
                const health = await etcdMemberHealth(cps[0].name);
                last = health.raw;
                return health.members !== null && health.members.length === cps.length && health.members.every((m) => m.health);
            },
            180_000,
            5000,
        );
        assert.ok(healthy, `etcd did not report all ${cps.length} members healthy within 3 minutes: ${last}`);
    });
});
