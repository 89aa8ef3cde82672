// The check that every apiserver enforces the externalIPs policy before public services are written,
// run by a real bash with a stub `kubectl` on PATH that refuses the probe a given number of times
// per apiserver (an apiserver still on the old policy), then admits it. No root needed.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EXTERNAL_IPS_PROBE, renderExternalIpsInForce } from "../../components/addons/render/externalIpsInForce";

const SERVERS = ["https://[fd8a:31c2:7c1f:1:1::1]:6443", "https://[fd8a:31c2:7c1f:1:2::1]:6443"];
const ALLOWED = ["2001:db8:1:1::2", "2001:db8:1:b::2"];

// kubectl: logs each call; `$STUB/refuse-<n>` holds how many more times apiserver n refuses.
const KUBECTL = `#!/bin/bash
server=""; dry=""
for a in "$@"; do case "$a" in --server=*) server=\${a#--server=} ;; --dry-run=server) dry=yes ;; esac; done
body=$(cat)
echo "$server $dry $body" >> "$STUB/calls"
n=$(echo "$server" | sed 's/.*:\\([0-9]\\)::1.*/\\1/')
left=$(cat "$STUB/refuse-$n" 2>/dev/null || echo 0)
if [ "$left" -gt 0 ]; then
    echo $((left - 1)) > "$STUB/refuse-$n"
    echo 'The services "${EXTERNAL_IPS_PROBE}" is invalid: ValidatingAdmissionPolicy denied request' >&2
    exit 1
fi
echo "service/${EXTERNAL_IPS_PROBE} created (server dry run)"
`;

function runCheck(refusals: Record<number, number>, timeoutSeconds = 5): { code: number; stdout: string; stderr: string; calls: string[] } {
    const stub = fs.mkdtempSync(path.join(os.tmpdir(), "v6k8s-inforce-"));
    fs.mkdirSync(path.join(stub, "bin"));
    fs.writeFileSync(path.join(stub, "bin", "kubectl"), KUBECTL, { mode: 0o755 });
    // sleep is instant here: the loop's count, not its wall time, is what is checked.
    fs.writeFileSync(path.join(stub, "bin", "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    for (const [n, count] of Object.entries(refusals)) fs.writeFileSync(path.join(stub, `refuse-${n}`), String(count));
    const script = renderExternalIpsInForce({ allowed: ALLOWED, namespace: "web", apiservers: SERVERS, timeoutSeconds });
    const r = spawnSync("bash", ["-c", script], {
        env: { PATH: `${path.join(stub, "bin")}:/usr/bin:/bin`, STUB: stub },
        encoding: "utf8",
    });
    const calls = fs.existsSync(path.join(stub, "calls")) ? fs.readFileSync(path.join(stub, "calls"), "utf8").trim().split("\n") : [];
    fs.rmSync(stub, { recursive: true, force: true });
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, calls };
}

describe("externalIPs policy in force on every apiserver (render/externalIpsInForce.ts)", () => {
    it("asks each apiserver in turn, retrying one that still refuses, with a server-side dry run of every allowed address", () => {
        const r = runCheck({ 2: 3 });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(
            r.calls.map((c) => c.split(" ")[0]),
            [SERVERS[0], SERVERS[1], SERVERS[1], SERVERS[1], SERVERS[1]],
        );
        for (const c of r.calls) {
            assert.ok(c.includes(" yes "), `not a dry run: ${c}`);
            const body = JSON.parse(c.slice(c.indexOf("{"))) as {
                spec: { externalIPs: string[] };
                metadata: { name: string; namespace: string };
            };
            assert.deepEqual(body.spec.externalIPs, ALLOWED);
            assert.equal(body.metadata.name, EXTERNAL_IPS_PROBE);
            // A public service's namespace: the policy refuses externalIPs elsewhere.
            assert.equal(body.metadata.namespace, "web");
        }
        assert.match(r.stdout, /every apiserver admits the externalIPs 2001:db8:1:1::2 2001:db8:1:b::2/);
    });

    it("fails naming the apiserver, with its refusal, when it never admits within the time limit", () => {
        const r = runCheck({ 1: 100 }, 4);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /https:\/\/\[fd8a:31c2:7c1f:1:1::1\]:6443 does not admit the allowed externalIPs after 4 s/);
        assert.match(r.stderr, /ValidatingAdmissionPolicy denied request/);
        assert.ok(!r.calls.some((c) => c.startsWith(SERVERS[1])), "the second apiserver is not asked after the first failed");
    });

    it("without a public service asks nothing (no namespace may use externalIPs, nothing waits on it)", () => {
        const script = renderExternalIpsInForce({ allowed: ALLOWED, namespace: null, apiservers: SERVERS });
        assert.doesNotMatch(script, /kubectl/);
        const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
        assert.equal(r.status, 0);
        assert.match(r.stdout, /no public service/);
    });

    it("refuses an address, URL or namespace with characters a shell would read", () => {
        const ok = { allowed: ALLOWED, namespace: "web", apiservers: SERVERS };
        assert.throws(() => renderExternalIpsInForce({ ...ok, allowed: ["2001:db8::1; rm -rf /"] }), /unexpected characters/);
        assert.throws(() => renderExternalIpsInForce({ ...ok, apiservers: ["https://x$(id)"] }), /unexpected characters/);
        assert.throws(() => renderExternalIpsInForce({ ...ok, namespace: "web'; id #" }), /bad namespace/);
    });
});
