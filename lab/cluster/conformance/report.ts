// The summary of a conformance run, from ginkgo's JSON reports (one per ginkgo run: the parallel
// part and the serial part): passed, failed with the first line of each failure, skipped with the
// reason. Pure: lab/cluster/conformance/run.ts reads the files, test/lab/conformanceReport.test.ts
// checks this against a real report.
import type { Skip } from "./skips";

/** The part of ginkgo's JSON report (types.Report) the summary reads. */
export interface GinkgoReport {
    readonly SuiteDescription?: string;
    readonly SuiteSucceeded?: boolean;
    readonly PreRunStats?: { readonly TotalSpecs: number; readonly SpecsThatWillRun: number };
    readonly RunTime?: number;
    readonly SpecReports?: readonly GinkgoSpec[] | null;
}

export interface GinkgoSpec {
    readonly ContainerHierarchyTexts?: readonly string[] | null;
    readonly ContainerHierarchyLabels?: readonly (readonly string[] | null)[] | null;
    readonly LeafNodeLabels?: readonly string[] | null;
    readonly LeafNodeText: string;
    readonly LeafNodeType: string;
    readonly State: string;
    readonly RunTime?: number;
    /** How many times it ran (ginkgo --flake-attempts: more than 1 when it failed first). */
    readonly NumAttempts?: number;
    readonly Failure?: { readonly Message?: string };
}

export interface SpecResult {
    readonly name: string;
    /** The failure's first line, or the skip's reason. */
    readonly detail?: string;
}

export interface Summary {
    readonly passed: SpecResult[];
    readonly failed: SpecResult[];
    readonly skipped: SpecResult[];
}

/** The spec's full name, as ginkgo's --focus/--skip match it. */
export function specName(s: GinkgoSpec): string {
    return [...(s.ContainerHierarchyTexts ?? []), s.LeafNodeText].join(" ");
}

/** The spec's labels, its containers' included (the suite labels conformance tests "Conformance"). */
export function specLabels(s: GinkgoSpec): string[] {
    return [...(s.ContainerHierarchyLabels ?? []).flatMap((l) => l ?? []), ...(s.LeafNodeLabels ?? [])];
}

const FAILED = new Set(["failed", "panicked", "interrupted", "aborted", "timedout"]);

/** A spec the run left out (filtered) is "skipped" with no message; one that skipped itself says why. */
const ran = (s: GinkgoSpec): boolean => s.State !== "skipped" || Boolean(s.Failure?.Message);

/**
 * The conformance tests (label "Conformance") whose name `focus` matches, over every run's report
 * (the parallel and the serial run each leave the other's tests out): each passed, failed, or
 * skipped (by a skip of `skips`, with its reason; by the test itself, with its message). A
 * selected test that no run ran (a run timed out, or was interrupted) counts as failed. Setup
 * nodes (BeforeSuite, ...) count only when they failed.
 */
export function summarize(reports: readonly GinkgoReport[], focus: RegExp, skips: readonly Skip[]): Summary {
    const out: Summary = { passed: [], failed: [], skipped: [] };
    const byName = new Map<string, GinkgoSpec>();
    for (const spec of reports.flatMap((r) => r.SpecReports ?? [])) {
        const name = specName(spec);
        if (spec.LeafNodeType !== "It") {
            if (FAILED.has(spec.State)) out.failed.push({ name: `[${spec.LeafNodeType}] ${name}`.trim(), detail: firstLine(spec) });
            continue;
        }
        if (!specLabels(spec).includes("Conformance") || !focus.test(name)) continue;
        const seen = byName.get(name);
        if (!seen || (!ran(seen) && ran(spec))) byName.set(name, spec);
    }
    for (const [name, spec] of byName) {
        const skip = skips.find((s) => new RegExp(s.name).test(name));
        if (skip && !ran(spec)) out.skipped.push({ name, detail: skip.reason });
        else if (spec.State === "passed")
            out.passed.push((spec.NumAttempts ?? 1) > 1 ? { name, detail: `passed on attempt ${spec.NumAttempts} (flaky)` } : { name });
        else if (FAILED.has(spec.State)) out.failed.push({ name, detail: firstLine(spec) });
        else if (ran(spec)) out.skipped.push({ name, detail: firstLine(spec) });
        else out.failed.push({ name, detail: "not run: the run ended before it (time limit or interruption)" });
    }
    for (const list of [out.passed, out.failed, out.skipped]) list.sort((a, b) => a.name.localeCompare(b.name));
    return out;
}

const firstLine = (s: GinkgoSpec): string => (s.Failure?.Message ?? "").trim().split("\n")[0];

/** The summary as text: the counts, then each failure and each skip with its line. */
export function renderSummary(s: Summary, header: readonly string[]): string {
    const flaky = s.passed.filter((p) => p.detail);
    const lines = [
        ...header,
        `passed ${s.passed.length}${flaky.length > 0 ? ` (${flaky.length} only on a retry)` : ""}, failed ${s.failed.length}, skipped ${s.skipped.length}`,
        "",
    ];
    if (flaky.length > 0) lines.push("passed on a retry:", ...flaky.map((f) => `  ${f.name}\n      ${f.detail}`), "");
    if (s.failed.length > 0) lines.push("failed:", ...s.failed.map((f) => `  ${f.name}\n      ${f.detail ?? ""}`), "");
    if (s.skipped.length > 0) lines.push("skipped:", ...s.skipped.map((f) => `  ${f.name}\n      ${f.detail ?? ""}`), "");
    return `${lines.join("\n")}\n`;
}
