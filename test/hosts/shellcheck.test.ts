// ShellCheck over everything the program runs on a host: every rendered script (a file starting
// with #!/bin/bash or #!/bin/sh) and every step's command text (run by the login shell, bash), for
// the example stack and the cluster lab's. Warnings and errors fail; ShellCheck's style notes
// (e.g. SC2086 on words that are ours and never hold spaces) do not.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackFile } from "../../components/config/stackFile";
import { renderStack } from "../../components/offline";
import { kubernetesStepCommands } from "../../lab/cluster/steps";

const ROOT = path.join(__dirname, "..", "..");
const STACKS = ["Pulumi.prod.yaml", "lab/stacks/cluster.yaml"];

/** name -> script text, for one stack. */
function scriptsOf(stack: string): Map<string, string> {
    const config = readStackFile(path.join(ROOT, stack));
    const out = new Map<string, string>();
    for (const host of renderStack(config)) {
        const name = host.net.name;
        for (const files of [host.files, host.kubernetes, host.gateway, host.dns]) {
            for (const [p, f] of files) if (/^#!\/bin\/(ba)?sh\n/.test(f.content)) out.set(`${name}${p}`, f.content);
        }
        const commands: Record<string, string> = {
            ...Object.fromEntries(Object.entries(host.commands).map(([k, v]) => [`step-${k}`, v])),
            ...Object.fromEntries(Object.entries(kubernetesStepCommands(host)).map(([k, v]) => [`k8s-${k}`, v])),
        };
        for (const [k, v] of Object.entries(commands)) {
            // A command text runs as `bash -c TEXT`; one that is a script already keeps its own
            // shebang. The files it carries (base64, checked above as files) are cut to a stub:
            // ShellCheck takes seconds over the long literals and finds nothing in them.
            const text = v.replace(/'[A-Za-z0-9+/=]{64,}'/g, "'QQ=='");
            out.set(`${name}/${k}`, text.startsWith("#!") ? text : `#!/bin/bash\n${text}`);
        }
    }
    return out;
}

describe("ShellCheck on every rendered script and command text", function () {
    this.timeout(60_000);
    before(function () {
        if (spawnSync("shellcheck", ["--version"]).status !== 0) {
            if (process.env.V6K8S_REQUIRE_DATAPATH === "1") throw new Error("shellcheck is not installed (Debian: shellcheck)");
            console.warn("\n  !!! SKIPPED ShellCheck: not installed (apt-get install shellcheck) !!!\n");
            this.skip();
        }
    });

    for (const stack of STACKS) {
        it(`${stack}: no warning or error`, () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-shellcheck-"));
            try {
                const scripts = scriptsOf(stack);
                // The same text on several hosts is checked once.
                const distinct = new Map([...scripts].map(([name, text]) => [text, name]));
                const files = [...distinct].map(([text, name]) => {
                    const file = path.join(dir, name.replace(/[^A-Za-z0-9_.-]/g, "_"));
                    fs.writeFileSync(file, text);
                    return file;
                });
                assert.ok(files.length > 25, `only ${files.length} scripts found`);
                const r = spawnSync("shellcheck", ["--severity=warning", "--format=gcc", ...files], { encoding: "utf8" });
                assert.equal(r.status, 0, `${r.stdout.split(`${dir}/`).join("")}${r.stderr}`);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    }

    it("would catch a broken script (a quoted variable left open is an error)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-shellcheck-"));
        try {
            fs.writeFileSync(path.join(dir, "bad"), '#!/bin/bash\nif [ "$x" = y ] then echo; fi\n');
            assert.notEqual(spawnSync("shellcheck", ["--severity=warning", path.join(dir, "bad")]).status, 0);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
