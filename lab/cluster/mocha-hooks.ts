// Root hooks of the cluster checks (part of `npm run test:lab`): bring the cluster lab up once,
// always tear it down after the checks (also on failure, SIGINT/SIGTERM, an unexpected exit).
// The bring-up itself carries the interrupted-bootstrap check: the first control-plane node's
// steps run, then run again as a re-run after an interruption would (before any other member
// exists), and only then does the bootstrap go on.
import { guardRun, takeOverLab, testLog as log } from "../owner";
import { recordRootSnapshot } from "../snapshot";
import { down } from "../teardown";
import { STEPS, controlPlaneOrder, runHostSteps } from "./bootstrap";
import { sshOnHost } from "./ssh";
import { setCluster, setInterrupted } from "./session";
import { finishCluster, prepareCluster } from "./up";

guardRun(true);

/** How long the re-run of the first member's steps may take before it counts as stuck. */
export const RERUN_LIMIT_SECONDS = 240;

export const mochaHooks = {
    async beforeAll(this: Mocha.Context): Promise<void> {
        // A cold machine builds Kubernetes, etcd, containerd, runc and CoreDNS from Go modules first.
        this.timeout(85 * 60_000);
        takeOverLab(log);
        recordRootSnapshot();
        try {
            const c = await prepareCluster({ log, stack: process.env.V6K8S_LAB_CLUSTER_STACK });
            setCluster(c);
            const first = controlPlaneOrder(c.steps)[0];
            await c.phase(`kubernetes: ${first.host.name} alone (the bootstrap is then interrupted)`, () => runHostSteps(first, log));
            // The re-run: every step again, the start step included, with no other member yet.
            const t0 = Date.now();
            let code = 0;
            let output = "";
            for (const step of STEPS) {
                const r = await sshOnHost(first.host, first.commands[step], {
                    allowFail: true,
                    timeoutMs: RERUN_LIMIT_SECONDS * 1000,
                    input: first.stdin[step],
                });
                output += r.stdout + r.stderr;
                if (r.code !== 0) {
                    code = r.code;
                    break;
                }
            }
            setInterrupted({ host: first.host.name, code, seconds: (Date.now() - t0) / 1000, output });
            log(`lab: re-run of ${first.host.name}'s steps: exit ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
            await finishCluster(c);
        } catch (e) {
            log(`lab: cluster bring-up failed: ${(e as Error).message}`);
            if (!process.env.V6K8S_LAB_KEEP) down();
            throw e;
        }
    },
    afterAll(this: Mocha.Context): void {
        this.timeout(180_000);
        if (process.env.V6K8S_LAB_KEEP) {
            log("lab: V6K8S_LAB_KEEP is set: the cluster is left running (npm run lab:down removes it)");
            return;
        }
        down();
    },
};
