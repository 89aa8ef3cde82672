// `npm run lab:conformance`: the upstream conformance suite (e2e.test of k8s.io/kubernetes at the
// cluster's version) against the running cluster lab, as a certified distribution runs it: the
// tests labelled Conformance, the parallel ones with ginkgo's parallel runner, then the [Serial]
// ones alone, within one time limit. It runs from the operator's namespace (the lab's IPv6
// internet) with the admin kubeconfig; the images it pulls are made here and pushed to the lab's
// registry mirror first (images.ts). Reports go to /run/v6k8s-lab/conformance/.
import * as fs from "fs";
import * as path from "path";
import { STATE_DIR } from "../../config";
import { inNs } from "../../netns";
import { elapsed } from "../../progress";
import { run } from "../../run";
import { LabHost, requireState } from "../../state";
import { pushImages } from "../distribution";
import { readStackFile } from "../../../components/config/stackFile";
import { LAB_STACK_FILE, sshArgv } from "../ssh";
import { ensureConformanceSuite, ensureToolchain, imageSpecs, versionsOf } from "../toolchain";
import { conformanceImages } from "./images";
import { GinkgoReport, Summary, renderSummary, summarize } from "./report";
import { SKIPS } from "./skips";

/**
 * Drops the suite's images from every node's containerd, so the next pod pulls what was just
 * pushed: upstream never changes an image under its tag, a stand-in made here does when its
 * sources change, and the kubelet does not pull a tag it has (IfNotPresent). The mirror is local.
 */
async function forgetImages(hosts: readonly LabHost[], refs: readonly string[], log: (l: string) => void): Promise<void> {
    const script = `ctr -n k8s.io images rm ${refs.join(" ")} >/dev/null 2>&1 || true`;
    await Promise.all(
        hosts.map(async (h) => {
            const r = await run(sshArgv(h, script), { timeoutMs: 120_000, allowFail: true });
            if (r.code !== 0) log(`lab: conformance: could not drop the suite's images on ${h.name} (exit ${r.code}): ${r.stderr.trim()}`);
        }),
    );
}

export const CONFORMANCE_DIR = path.join(STATE_DIR, "conformance");

export interface ConformanceOptions {
    /** A regular expression on test names narrowing the Conformance set (e.g. `\[sig-network\]`). */
    readonly focus?: string;
    /** ginkgo's parallel processes for the parallel part. */
    readonly nodes?: number;
    /** The whole run's limit (both parts). */
    readonly timeoutMinutes?: number;
    /**
     * Runs a failing test gets (ginkgo --flake-attempts; default 1, as a certification run). A
     * test that passed only on a retry is listed as such in the summary.
     */
    readonly flakeAttempts?: number;
    readonly log: (line: string) => void;
}

export interface ConformanceResult {
    readonly summary: Summary;
    readonly text: string;
    /** 0 when every selected test passed or was skipped by name, and at least one ran. */
    readonly code: number;
}

/** Runs the suite; never throws for a failing test (the summary says), only when it cannot run at all. */
export async function runConformance(opts: ConformanceOptions): Promise<ConformanceResult> {
    const { log } = opts;
    const state = requireState();
    const cluster = state.cluster;
    if (!cluster) throw new Error("lab: the running lab has no cluster (npm run lab:cluster brings one up)");
    const config = readStackFile(LAB_STACK_FILE);
    const versions = versionsOf(config);
    const dirs = await ensureToolchain(versions, log);
    const suite = await ensureConformanceSuite(versions.kubernetes, log);
    const e2e = path.join(suite, "e2e.test");

    const listed = (await run([e2e, "--list-images"])).stdout.trim().split("\n").filter(Boolean).sort();
    const clusterRefs = imageSpecs(config, dirs).map((s) => s.ref);
    const images = conformanceImages(listed, clusterRefs, { ...dirs, conformance: suite });
    await pushImages(images.specs, log);
    // The stack's nodes (a machine a day-2 check dropped from the stack keeps running, cut off).
    const nodes = state.hosts.filter((h) => config.nodes.some((n) => n.name === h.name && !n.leaving));
    await forgetImages(
        nodes,
        images.specs.map((i) => i.ref),
        log,
    );
    log(
        `lab: conformance images: ${images.specs.length} made here, ${images.present.length} the cluster's own, ` +
            `${images.missing.length} not made (a test pulling one cannot start it): ${images.missing.join(" ")}`,
    );

    fs.rmSync(CONFORMANCE_DIR, { recursive: true, force: true });
    fs.mkdirSync(CONFORMANCE_DIR, { recursive: true });
    const focus = opts.focus ?? "";
    const limitMs = (opts.timeoutMinutes ?? 240) * 60_000;
    const t0 = Date.now();
    const e2eArgs = [
        `--kubeconfig=${cluster.kubeconfig}`,
        `--kubectl-path=${cluster.kubectl}`,
        // No cloud: the suite's provider for a cluster it knows nothing about.
        "--provider=skeleton",
        `--e2e-output-dir=${CONFORMANCE_DIR}`,
    ];
    const skip = SKIPS.map((s) => s.name);
    const part = async (name: "parallel" | "serial", labels: string, nodes: number): Promise<void> => {
        const left = limitMs - (Date.now() - t0);
        if (left < 60_000) {
            log(`lab: conformance: no time left for the ${name} part`);
            return;
        }
        const argv = [
            path.join(suite, "ginkgo"),
            `--nodes=${nodes}`,
            `--label-filter=${labels}`,
            ...(focus ? [`--focus=${focus}`] : []),
            ...(skip.length > 0 ? [`--skip=${skip.join("|")}`] : []),
            `--timeout=${Math.floor(left / 1000)}s`,
            `--flake-attempts=${opts.flakeAttempts ?? 1}`,
            "--no-color",
            `--output-dir=${CONFORMANCE_DIR}`,
            `--json-report=${name}.json`,
            `--junit-report=junit-${name}.xml`,
            e2e,
            "--",
            ...e2eArgs,
        ];
        const out = fs.openSync(path.join(CONFORMANCE_DIR, `${name}.log`), "w");
        let done = 0;
        let failed = 0;
        const tick = setInterval(
            () => log(`lab: conformance ${name}: ${done} tests finished, ${failed} failed (${elapsed(Date.now() - t0)} elapsed)`),
            60_000,
        );
        log(
            `lab: conformance ${name} (${labels}${focus ? `, focus ${focus}` : ""}, ${nodes} processes): log ${CONFORMANCE_DIR}/${name}.log`,
        );
        try {
            const r = await run(inNs(cluster.operatorNs, argv), {
                allowFail: true,
                timeoutMs: left + 10 * 60_000,
                // ginkgo's succinct progress: one "•" per finished test (no newline until a failure's
                // report), "• [FAILED]" starting a failure's report.
                onData: (chunk) => {
                    fs.writeSync(out, chunk);
                    done += (chunk.match(/•/g) ?? []).length;
                },
                onLine: (l) => {
                    if (/^• \[FAILED\]|^• \[PANICKED\]|^• \[TIMEDOUT\]/.test(l)) {
                        failed += 1;
                        log(`lab: conformance ${name}: ${l}`);
                    }
                },
            });
            log(`lab: conformance ${name} ended: exit ${r.code} after ${elapsed(Date.now() - t0)}`);
        } finally {
            clearInterval(tick);
            fs.closeSync(out);
        }
    };
    await part("parallel", "Conformance && !Serial", opts.nodes ?? 4);
    await part("serial", "Conformance && Serial", 1);

    const reports = ["parallel", "serial"]
        .map((n) => path.join(CONFORMANCE_DIR, `${n}.json`))
        .filter((f) => fs.existsSync(f))
        .flatMap((f) => JSON.parse(fs.readFileSync(f, "utf8")) as GinkgoReport[]);
    const summary = summarize(reports, new RegExp(focus), SKIPS);
    const text = renderSummary(summary, [
        `conformance of the lab cluster (Kubernetes ${versions.kubernetes}, e2e.test of k8s.io/kubernetes@v${versions.kubernetes})`,
        `run ${new Date(t0).toISOString()}, ${elapsed(Date.now() - t0)}, ${opts.nodes ?? 4} parallel processes, ${opts.flakeAttempts ?? 1} attempt(s) per test${focus ? `, focus '${focus}'` : ""}`,
        `images not made here: ${images.missing.length === 0 ? "none" : images.missing.join(" ")}`,
    ]);
    fs.writeFileSync(path.join(CONFORMANCE_DIR, "summary.txt"), text);
    fs.writeFileSync(path.join(CONFORMANCE_DIR, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
    const code = summary.failed.length === 0 && summary.passed.length > 0 ? 0 : 1;
    return { summary, text, code };
}
