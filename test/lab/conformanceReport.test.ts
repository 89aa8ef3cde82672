// The conformance run's summary (lab/cluster/conformance/report.ts) from ginkgo's JSON reports:
// test/lab/fixtures/ginkgo-report.json is a real report of `npm run lab:conformance -- --focus
// '\[sig-network\]'` (e2e.test v1.34.2, trimmed to six specs: two setup nodes, two passed
// conformance tests, a conformance test and a non-conformance test the run left out).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { MADE_HERE, STAND_INS, repositoryOf } from "../../lab/cluster/conformance/images";
import { GinkgoReport, GinkgoSpec, renderSummary, specName, summarize } from "../../lab/cluster/conformance/report";

const real = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "ginkgo-report.json"), "utf8")) as GinkgoReport[];
const specs = real[0].SpecReports!;
const leftOut = specs.find((s) => s.LeafNodeType === "It" && s.State === "skipped" && specName(s).includes("[Conformance]"))!;
const ALL = new RegExp("");

/** A report holding only `spec` (the serial part's report of a test the parallel part left out, say). */
const reportOf = (...s: GinkgoSpec[]): GinkgoReport => ({ SpecReports: s });

describe("conformance summary", () => {
    it("a real report: the two [sig-network] conformance tests passed, nothing else counted", () => {
        const s = summarize(real, /\[sig-network\]/, []);
        assert.deepEqual(
            s.passed.map((p) => p.name),
            [
                "[sig-network] DNS should provide DNS for the cluster [Conformance]",
                "[sig-network] HostPort validates that there is no conflict between pods with same hostPort but different hostIP and protocol [LinuxOnly] [Conformance]",
            ],
        );
        assert.deepEqual([s.failed, s.skipped], [[], []]);
    });

    it("a selected conformance test that no run ran is a failure; one the other run ran counts as that run says", () => {
        const alone = summarize(real, ALL, []);
        assert.deepEqual(alone.failed, [
            { name: specName(leftOut), detail: "not run: the run ended before it (time limit or interruption)" },
        ]);
        const serial = reportOf({ ...leftOut, State: "passed" });
        const both = summarize([...real, serial], ALL, []);
        assert.equal(both.failed.length, 0);
        assert.ok(both.passed.some((p) => p.name === specName(leftOut)));
        // Order does not matter: the run that ran it wins over the one that left it out.
        assert.deepEqual(summarize([serial, ...real], ALL, []), both);
    });

    it("a test skipped by name is reported with the reason, not as a failure", () => {
        const s = summarize(real, ALL, [{ name: "Kubectl api-versions", reason: "the lab cannot provide it" }]);
        assert.deepEqual(s.skipped, [{ name: specName(leftOut), detail: "the lab cannot provide it" }]);
        assert.equal(s.failed.length, 0);
    });

    it("a failure gives the first line of its message; a failed setup node counts; a test's own skip gives its reason", () => {
        // Shaped as ginkgo's types.SpecReport (State, Failure.Message), as a failing run writes it.
        const failed: GinkgoSpec = {
            ...leftOut,
            State: "failed",
            Failure: { Message: "service is not reachable within 2m0s timeout on endpoint x:80 over TCP protocol\nmore" },
        };
        const setup: GinkgoSpec = {
            LeafNodeType: "SynchronizedBeforeSuite",
            LeafNodeText: "",
            State: "failed",
            Failure: { Message: "no nodes" },
        };
        const selfSkipped: GinkgoSpec = { ...specs[2], State: "skipped", Failure: { Message: "Only supported for providers [gce]\n" } };
        const s = summarize([reportOf(failed, setup, selfSkipped)], ALL, []);
        assert.deepEqual(s.failed, [
            { name: specName(leftOut), detail: "service is not reachable within 2m0s timeout on endpoint x:80 over TCP protocol" },
            { name: "[SynchronizedBeforeSuite]", detail: "no nodes" },
        ]);
        assert.deepEqual(s.skipped, [{ name: specName(specs[2]), detail: "Only supported for providers [gce]" }]);
    });

    it("a test that passed only on a retry (ginkgo --flake-attempts) is listed as such", () => {
        const retried: GinkgoSpec = { ...leftOut, State: "passed", NumAttempts: 2 };
        const s = summarize([reportOf(retried)], ALL, []);
        assert.deepEqual(s.passed, [{ name: specName(leftOut), detail: "passed on attempt 2 (flaky)" }]);
        assert.match(renderSummary(s, []), /^passed 1 \(1 only on a retry\), failed 0, skipped 0\n\npassed on a retry:\n/);
        // The real report's tests passed on their first attempt.
        assert.ok(summarize(real, ALL, []).passed.every((p) => p.detail === undefined));
    });

    it("the text gives the header, the counts and each failure with its line", () => {
        const text = renderSummary(summarize(real, ALL, []), ["conformance of the lab cluster"]);
        assert.match(text, /^conformance of the lab cluster\npassed 2, failed 1, skipped 0\n/);
        assert.ok(text.includes(`failed:\n  ${specName(leftOut)}\n      not run:`));
    });
});

describe("conformance images", () => {
    it("every image made here says what it stands in for (the README lists them)", () => {
        assert.deepEqual([...MADE_HERE].sort(), Object.keys(STAND_INS).sort());
    });

    it("the repository of a reference is its name without the tag (registry ports kept)", () => {
        assert.equal(repositoryOf("registry.k8s.io/e2e-test-images/agnhost:2.56"), "registry.k8s.io/e2e-test-images/agnhost");
        assert.equal(repositoryOf("localhost:5000/etcd:3.6.4-0"), "localhost:5000/etcd");
        assert.equal(repositoryOf("localhost:5000/etcd"), "localhost:5000/etcd");
    });
});
