// The CI split (issue 12, item 13): a pull request's code never runs with the state passphrase by
// default. Read from the workflow files themselves: which events start which jobs, which jobs see a
// secret, and whether their conditions let a fork's pull request through.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { Context, evaluate, runs } from "../support/ghExpression";

const DIR = path.join(__dirname, "..", "..", ".github", "workflows");
const REPO = "v6k8s/v6k8s";

interface Job {
    if?: unknown;
    needs?: string | string[];
    environment?: string | { name: string };
    env?: Record<string, string>;
    permissions?: Record<string, string>;
    "runs-on"?: unknown;
    steps?: { uses?: string; with?: Record<string, unknown>; run?: string }[];
}
interface Workflow {
    on: Record<string, unknown>;
    env?: Record<string, string>;
    permissions?: Record<string, string>;
    jobs: Record<string, Job>;
}

function workflow(file: string): Workflow {
    return parse(fs.readFileSync(path.join(DIR, file), "utf8")) as Workflow;
}

/** The secrets a job can read (its text, the workflow's env), GITHUB_TOKEN aside. */
function secretsOf(job: Job, wf: Workflow): string[] {
    const text = JSON.stringify(job) + JSON.stringify(wf.env ?? {});
    return [...new Set([...text.matchAll(/secrets\.([A-Za-z0-9_]+)/g)].map((m) => m[1]))].filter((s) => s !== "GITHUB_TOKEN").sort();
}

const environmentOf = (job: Job) => (typeof job.environment === "object" ? job.environment.name : job.environment);

/** The `github` and `vars` contexts of a pull_request event. */
function pullRequest(headRepo: string, vars: Record<string, string> = {}): Context {
    return {
        github: { event_name: "pull_request", repository: REPO, event: { pull_request: { head: { repo: { full_name: headRepo } } } } },
        vars,
    };
}

describe("CI workflows: the state passphrase never reaches a pull request's code by default", () => {
    const files = fs
        .readdirSync(DIR)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort();
    const all = files.map((f) => [f, workflow(f)] as const);

    it("knows the workflows it checks", () => {
        assert.deepEqual(files, ["preview.yml", "up.yml"]);
    });

    it("no workflow runs on pull_request_target or workflow_run (they run with secrets next to untrusted code)", () => {
        for (const [file, wf] of all) {
            for (const event of ["pull_request_target", "workflow_run"]) assert.ok(!(event in wf.on), `${file} triggers on ${event}`);
        }
    });

    it("a secret is read only in a job that names an environment, never at workflow level", () => {
        for (const [file, wf] of all) {
            assert.deepEqual(JSON.stringify(wf.env ?? {}).match(/secrets\./g), null, `${file}: workflow-level env holds a secret`);
            for (const [name, job] of Object.entries(wf.jobs)) {
                if (secretsOf(job, wf).length > 0)
                    assert.ok(environmentOf(job), `${file} ${name} reads ${secretsOf(job, wf).join(", ")} without an environment`);
            }
        }
    });

    it("pull requests: by default no job with a secret runs, for a fork or for a branch of the repository", () => {
        const wf = workflow("preview.yml");
        assert.deepEqual(Object.keys(wf.on), ["pull_request"]);
        assert.equal(wf.permissions?.contents, "read");
        assert.ok(!Object.values(wf.permissions ?? {}).includes("write"), "the workflow grants no write by default");
        const withSecrets = Object.entries(wf.jobs).filter(([, job]) => secretsOf(job, wf).length > 0);
        assert.deepEqual(
            withSecrets.map(([n]) => n),
            ["pr-preview"],
            "the only job with secrets is the opt-in preview",
        );
        for (const context of [pullRequest("someone/v6k8s-fork"), pullRequest(REPO)]) {
            for (const [name, job] of withSecrets)
                assert.equal(runs(job.if, context), false, `${name} runs for ${JSON.stringify(context.github)}`);
        }
        // What does run for every pull request, a fork's included: tests, plan and render, no secret.
        const forked = pullRequest("someone/v6k8s-fork", { V6K8S_PR_PREVIEW: "true" });
        const running = Object.entries(wf.jobs)
            .filter(([, job]) => runs(job.if, forked))
            .map(([n]) => n)
            .sort();
        assert.deepEqual(running, ["plan", "test"]);
        const commands = JSON.stringify(running.map((n) => wf.jobs[n].steps));
        for (const what of [
            ".ci/run",
            "npm run --silent plan -- --config Pulumi.prod.yaml",
            "npm run --silent render -- --config Pulumi.prod.yaml",
        ]) {
            assert.ok(commands.includes(what), `the secret-free jobs run ${what}`);
        }
    });

    it("the opted-in pull-request preview: only for the repository's own branches, in its own reviewed environment, after the tests", () => {
        const wf = workflow("preview.yml");
        const job = wf.jobs["pr-preview"];
        assert.deepEqual(secretsOf(job, wf), ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]);
        const optedIn = { V6K8S_PR_PREVIEW: "true" };
        assert.equal(runs(job.if, pullRequest(REPO, optedIn)), true);
        assert.equal(runs(job.if, pullRequest("someone/v6k8s-fork", optedIn)), false, "never for a fork");
        assert.equal(runs(job.if, pullRequest(REPO, { V6K8S_PR_PREVIEW: "false" })), false);
        // Not the environments main deploys with: theirs are limited to main (README).
        assert.equal(environmentOf(job), "pr-preview");
        assert.equal(job.needs, "test");
        const action = job.steps?.find((s) => s.uses?.startsWith("pulumi/actions@"));
        assert.equal(action?.with?.command, "preview", "a pull request only ever previews");
        assert.deepEqual(job.permissions, { contents: "read", "pull-requests": "write" });
    });

    it("main: preview, then up after the production environment's approval; nothing runs for a pull request", () => {
        const wf = workflow("up.yml");
        assert.deepEqual(Object.keys(wf.on).sort(), ["push", "workflow_dispatch"]);
        assert.deepEqual((wf.on.push as { branches: string[] }).branches, ["main"]);
        assert.deepEqual(Object.fromEntries(Object.entries(wf.jobs).map(([n, j]) => [n, environmentOf(j)])), {
            preview: "preview",
            up: "production",
        });
        assert.equal(wf.jobs.up.needs, "preview");
        const command = (job: Job) => job.steps?.find((s) => s.uses?.startsWith("pulumi/actions@"))?.with?.command;
        assert.equal(command(wf.jobs.preview), "preview");
        assert.equal(command(wf.jobs.up), "up");
        assert.deepEqual(wf.jobs.up["runs-on"], ["self-hosted", "ipv6"]);
    });

    it("every preview skips the engine's checkpoints (it persists nothing, and they cost it quadratic time); `up` keeps them (crash safety)", () => {
        const command = (job: Job) => job.steps?.find((s) => s.uses?.startsWith("pulumi/actions@"))?.with?.command;
        const jobs = all.flatMap(([file, wf]) => Object.entries(wf.jobs).map(([name, job]) => [`${file} ${name}`, job, wf] as const));
        const previews = jobs.filter(([, job]) => command(job) === "preview");
        assert.equal(previews.length, 2);
        for (const [name, job, wf] of previews) assert.equal({ ...wf.env, ...job.env }.PULUMI_SKIP_CHECKPOINTS, "true", name);
        const ups = jobs.filter(([, job]) => command(job) === "up");
        assert.equal(ups.length, 1);
        for (const [name, job, wf] of ups) assert.equal({ ...wf.env, ...job.env }.PULUMI_SKIP_CHECKPOINTS, undefined, name);
    });

    it("every checkout leaves no token behind for later steps", () => {
        for (const [file, wf] of all) {
            for (const [name, job] of Object.entries(wf.jobs)) {
                for (const step of job.steps ?? []) {
                    if (step.uses?.startsWith("actions/checkout@"))
                        assert.equal(step.with?.["persist-credentials"], false, `${file} ${name}`);
                }
            }
        }
    });
});

describe("the expression subset the workflow checks evaluate", () => {
    const ctx = { github: { event_name: "push", repository: "a/b" }, vars: { X: "true" } };
    it("compares strings without regard to case, treats missing values as null, and refuses what it cannot read", () => {
        assert.equal(evaluate("github.event_name == 'PUSH'", ctx), true);
        assert.equal(evaluate("vars.MISSING == ''", ctx), false);
        assert.equal(evaluate("vars.MISSING", ctx), null);
        assert.equal(evaluate("${{ vars.X == 'true' && (github.repository != 'a/b' || !false) }}", ctx), true);
        assert.equal(evaluate("'it''s' == 'IT''S'", ctx), true);
        assert.throws(() => evaluate("contains(github.repository, 'a')", ctx), /functions are not supported/);
        assert.throws(() => evaluate("github.event_name ==", ctx), /ends early/);
        assert.throws(() => evaluate("github.event_name = 'push'", ctx), /cannot read/);
    });
});
