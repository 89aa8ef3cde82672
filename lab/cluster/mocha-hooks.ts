// Root hooks of the cluster checks (part of `npm run test:lab`): bring the cluster lab up once,
// always tear it down after the checks (also on failure, SIGINT/SIGTERM, an unexpected exit).
// The bring-up is `pulumi up` with the real engine, and it carries the interrupted-bootstrap
// check: the first `pulumi up` is interrupted (Ctrl-C) as soon as the first control-plane node's
// start step is done, before any other member exists; the next `pulumi up` re-runs that node's
// steps (`--replace` each, as an operator re-runs steps that may be half done) before anything
// else of the control plane (the next member waits for that start step), then finishes the bootstrap.
import { diagnostics } from "../engine/engine";
import { controlPlaneStartOrder } from "../../components/controlplane/facts";
import { guardRun, takeOverLab, testLog as log } from "../owner";
import { recordRootSnapshot } from "../snapshot";
import { down } from "../teardown";
import { setCluster, setInterrupted } from "./session";
import { LAB_STACK_FILE } from "./ssh";
import { STEPS } from "./steps";
import { finishCluster, prepareCluster } from "./up";
import { upgradeFrom } from "./upgrade";

guardRun(true);

/** How long the re-run of the first member's steps may take before it counts as stuck. */
export const RERUN_LIMIT_SECONDS = 240;

export const mochaHooks = {
    async beforeAll(this: Mocha.Context): Promise<void> {
        // A cold machine builds Kubernetes, etcd, containerd, runc, CoreDNS and the Pulumi engine first.
        this.timeout(85 * 60_000);
        takeOverLab(log);
        recordRootSnapshot();
        try {
            // Check 1a upgrades the cluster: it starts one minor before the stack's (upgrade.ts).
            const c = await prepareCluster({ log, stack: process.env.V6K8S_LAB_CLUSTER_STACK, upgradeFrom: upgradeFrom() });
            setCluster(c);
            const first = controlPlaneStartOrder(
                c.config.nodes,
                (n) => n.roles.includes("control-plane"),
                (n) => n.joinEtcd,
            )[0].name;
            const startDone = new RegExp(`command:remote:Command k8s-${first}-start created`);
            const cut = await c.phase(`pulumi up, interrupted once ${first}'s start step is done`, () =>
                c.engine.apply(LAB_STACK_FILE, { interruptWhen: (l) => startDone.test(l) }),
            );
            const urns = (await c.engine.resources()).filter((r) => STEPS.some((s) => r.name === `k8s-${first}-${s}`)).map((r) => r.urn);
            const t0 = Date.now();
            let rerunSeconds: number | undefined;
            const restarted = new RegExp(`command:remote:Command k8s-${first}-start created replacement`);
            const rerun = await c.engine.apply(LAB_STACK_FILE, {
                args: urns.flatMap((u) => ["--replace", u]),
                onLine: (l) => {
                    if (rerunSeconds === undefined && restarted.test(l)) rerunSeconds = (Date.now() - t0) / 1000;
                },
            });
            setInterrupted({
                host: first,
                interrupted: cut.code !== 0 && startDone.test(cut.stdout),
                cutCode: cut.code,
                cutOutput: diagnostics(cut.stdout + cut.stderr),
                steps: urns.length,
                code: rerun.code,
                seconds: rerunSeconds ?? Infinity,
                output: `${rerun.stdout}${rerun.stderr}`,
            });
            if (urns.length === 0)
                log(
                    `lab: the first pulumi up ended (exit ${cut.code}) with none of ${first}'s steps in the state:\n${diagnostics(cut.stdout + cut.stderr)}`,
                );
            log(`lab: ${first}'s ${urns.length} steps re-run in ${rerunSeconds?.toFixed(1)} s; the bootstrap finished: exit ${rerun.code}`);
            if (rerun.code !== 0) {
                throw new Error(
                    `the pulumi up after the interruption failed (exit ${rerun.code}):\n${diagnostics(rerun.stdout + rerun.stderr)}`,
                );
            }
            await finishCluster(c, { apply: false });
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
