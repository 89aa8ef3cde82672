// Cluster check: the upstream conformance suite's [sig-network] tests (the part of the
// [Conformance] set about what this project builds itself: pod network, Services, kube-proxy,
// DNS, hostPort) pass on the lab cluster, after its day-2 changes. The whole set is
// `npm run lab:conformance` (README, "Conformance"): it does not fit CI's 90 minutes beside the rest.
import { strict as assert } from "assert";
import { testLog as log } from "../../owner";
import { runConformance } from "../conformance/run";

/** What CI runs of the Conformance set (a regular expression on test names). */
export const CI_FOCUS = "\\[sig-network\\]";

describe("cluster 8b. upstream conformance ([sig-network])", () => {
    it("every [sig-network] [Conformance] test of e2e.test passes (or is skipped by name with its reason)", async function () {
        this.timeout(50 * 60_000);
        // Two attempts: a CI run on a loaded 2-core machine retries a failure once; the summary
        // (logged) lists every test that passed only on its retry.
        const r = await runConformance({ focus: CI_FOCUS, timeoutMinutes: 40, flakeAttempts: 2, log });
        log(r.text);
        assert.ok(r.summary.passed.length >= 40, `only ${r.summary.passed.length} [sig-network] conformance tests passed:\n${r.text}`);
        assert.equal(r.code, 0, r.text);
    });
});
