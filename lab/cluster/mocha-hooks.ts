// Root hooks of the cluster checks (part of `npm run test:lab`): bring the cluster lab up once,
// always tear it down after the checks (also on failure, SIGINT/SIGTERM, an unexpected exit).
// The bring-up is `pulumi up` with the real engine, and it carries the interrupted-bootstrap
// check: the first `pulumi up` is interrupted (Ctrl-C) as soon as the first control-plane node's
// start step is done, before any other member exists; then that node's steps are run again
// (`pulumi up --target <its steps> --replace <its steps>`, as an operator re-runs a step that may
// be half done), and only then does a plain `pulumi up` finish the bootstrap.
import { controlPlaneStartOrder } from "../../components/controlplane/facts";
import { guardRun, takeOverLab, testLog as log } from "../owner";
import { recordRootSnapshot } from "../snapshot";
import { down } from "../teardown";
import { setCluster, setInterrupted } from "./session";
import { LAB_STACK_FILE } from "./ssh";
import { STEPS } from "./steps";
import { finishCluster, prepareCluster } from "./up";

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
            const c = await prepareCluster({ log, stack: process.env.V6K8S_LAB_CLUSTER_STACK });
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
            const rerun = await c.engine.apply(LAB_STACK_FILE, {
                args: urns.flatMap((u) => ["--target", u, "--replace", u]),
                timeoutMs: RERUN_LIMIT_SECONDS * 1000,
            });
            setInterrupted({
                host: first,
                interrupted: cut.code !== 0 && startDone.test(cut.stdout),
                steps: urns.length,
                code: rerun.code,
                seconds: (Date.now() - t0) / 1000,
                output: `${rerun.stdout}${rerun.stderr}`,
            });
            log(`lab: re-run of ${first}'s ${urns.length} steps: exit ${rerun.code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
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
