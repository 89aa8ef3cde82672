// npm run lab:cluster              a real IPv6-only Kubernetes cluster from the cluster stack, left running
// npm run -s lab:kubectl -- ARGS   the lab's kubectl with the admin kubeconfig, as the operator (stdin, stdout
//                                  and stderr are the caller's; its exit code)
// npm run lab:conformance [-- --focus REGEX] [--nodes N] [--timeout MINUTES] [--flake-attempts N]
//                                  the upstream conformance suite on the running cluster lab
//                                  (lab/cluster/conformance/run.ts); non-zero on any failure
// npm run lab:down                 removes everything (any lab)
import { exitWith } from "../owner";
import { AlreadyUpError, requireRoot } from "../preflight";
import { requireState } from "../state";
import { down, teardownOnSignals } from "../teardown";
import { inNs } from "../netns";
import { runInherited } from "../run";
import { kubectl } from "./operator";
import { upCluster } from "./up";
import { parseArgs } from "util";
import { CONFORMANCE_DIR, runConformance } from "./conformance/run";

async function clusterUp(): Promise<number> {
    teardownOnSignals();
    try {
        const { state } = await upCluster();
        const c = state.cluster!;
        const nodes = await kubectl(c, ["get", "nodes", "-o", "wide"]);
        process.stdout.write(
            [
                `lab cluster is up in ${state.timings.total?.toFixed(0)} s (toolchain ${state.timings.toolchain?.toFixed(0)} s).`,
                "",
                nodes.stdout.trimEnd(),
                "",
                `admin kubeconfig: ${c.kubeconfig} (apiserver: the first control-plane node's public address, from the operator's namespace ${c.operatorNs})`,
                "try:",
                "  npm run -s lab:kubectl -- get pods -A -o wide",
                "  npm run -s lab:kubectl -- -n hello get svc,pods -o wide",
                "  npm run lab:down",
                "",
            ].join("\n"),
        );
        return 0;
    } catch (e) {
        if (e instanceof AlreadyUpError) {
            process.stderr.write(`${e.message}\n`);
            return 1;
        }
        process.stderr.write(
            `${(e as Error).message}\nlab: cluster bring-up failed; the lab is left as it is for inspection: npm run lab:down removes it\n`,
        );
        return 1;
    }
}

async function kubectlCli(args: string[]): Promise<number> {
    const state = requireState();
    if (!state.cluster) {
        process.stderr.write("lab: the running lab has no cluster (npm run lab:cluster brings one up)\n");
        return 1;
    }
    // stdin, stdout and stderr are the caller's: `apply -f -` reads what is piped in, `exec -i` too.
    const c = state.cluster;
    return runInherited(inNs(c.operatorNs, [c.kubectl, `--kubeconfig=${c.kubeconfig}`, ...args]));
}

async function conformance(argv: string[]): Promise<number> {
    const { values } = parseArgs({
        args: argv,
        options: {
            focus: { type: "string" },
            nodes: { type: "string" },
            timeout: { type: "string" },
            "flake-attempts": { type: "string" },
        },
    });
    const positive = (key: string, v: string | undefined): number | undefined => {
        if (v === undefined) return undefined;
        if (!/^[1-9][0-9]*$/.test(v)) throw new Error(`lab:conformance: --${key} must be a positive whole number (got '${v}')`);
        return Number(v);
    };
    const r = await runConformance({
        focus: values.focus,
        nodes: positive("nodes", values.nodes),
        timeoutMinutes: positive("timeout", values.timeout),
        flakeAttempts: positive("flake-attempts", values["flake-attempts"]),
        log: (l) => process.stderr.write(`${l}\n`),
    });
    process.stdout.write(`${r.text}reports: ${CONFORMANCE_DIR}/ (summary.txt, junit-*.xml, *.log)\n`);
    return r.code;
}

async function main([command, ...rest]: string[]): Promise<number> {
    requireRoot();
    if (command === "up") return clusterUp();
    if (command === "kubectl") return kubectlCli(rest);
    if (command === "conformance") return conformance(rest);
    if (command === "down") {
        down();
        return 0;
    }
    process.stderr.write(
        "usage: ts-node lab/cluster/cli.ts up | kubectl ARGS... | conformance [--focus REGEX] [--nodes N] [--timeout MINUTES] [--flake-attempts N] | down\n",
    );
    return 2;
}

exitWith(main(process.argv.slice(2)));
