// A mocha reporter for `npm run bench:tests`: prints nothing, and writes every test's and hook's
// duration (and every failure) as JSON to --reporter-option output=<file>. Hooks matter here:
// a shared mocked program run is paid in whichever before() hook asks for it first.
import * as fs from "fs";
import * as Mocha from "mocha";
import type { Timing, TimingReport } from "./timings";

const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_HOOK_END, EVENT_RUN_END } = Mocha.Runner.constants;

class TimingReporter extends Mocha.reporters.Base {
    constructor(runner: Mocha.Runner, options: { reporterOption?: { output?: string } }) {
        super(runner);
        const output = options.reporterOption?.output;
        if (!output) throw new Error("timingReporter needs --reporter-option output=<file>");
        const report: TimingReport = { passes: 0, failures: [], pending: 0, tests: [], hooks: [] };
        const timing = (r: Mocha.Runnable): Timing => ({ title: r.fullTitle(), file: r.file, ms: r.duration ?? 0 });
        runner.on(EVENT_TEST_PASS, (t) => {
            report.passes++;
            report.tests.push(timing(t));
        });
        runner.on(EVENT_TEST_FAIL, (t, err) => {
            report.failures.push({ title: t.fullTitle(), message: String(err?.message ?? err) });
            if (t.type === "test") report.tests.push(timing(t));
        });
        runner.on(EVENT_TEST_PENDING, () => report.pending++);
        runner.on(EVENT_HOOK_END, (h) => report.hooks.push(timing(h)));
        runner.once(EVENT_RUN_END, () => fs.writeFileSync(output, JSON.stringify(report, null, 1)));
    }
}

export = TimingReporter;
