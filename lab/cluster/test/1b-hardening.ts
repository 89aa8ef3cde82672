// Cluster check 1b: what the control plane gives away (issue 22 item 3). Anonymous requests reach
// the health endpoints only; no profiling endpoint answers, even an admin; no TLS listener of the
// control plane completes a TLS 1.1 handshake (a TLS 1.2 one, the control, does).
import { strict as assert } from "assert";
import { PATHS } from "../../../components/controlplane/paths";
import { ANONYMOUS_PATHS } from "../../../components/controlplane/render/authentication";
import { CONTROLLER_MANAGER_PORT, ETCD_CLIENT_PORT, SCHEDULER_PORT } from "../../../components/controlplane/render/defaults";
import { APISERVER_PORT, KUBELET_PORT } from "../../../components/common/ports";
import { inNs } from "../../netns";
import { run } from "../../run";
import { shOnMachine } from "../machine";
import { kubectl } from "../operator";
import { cluster, hostNamed, labState, operator } from "../session";

const controlPlane = () =>
    labState().hosts.filter((h) =>
        cluster()
            .config.nodes.find((n) => n.name === h.name)
            ?.roles.includes("control-plane"),
    );

/** The HTTP status of an anonymous GET from the operator's namespace (the lab's IPv6 internet, inside adminPrefixes). */
async function anonymousStatus(url: string): Promise<string> {
    const r = await run(inNs(operator().operatorNs, ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", url]), {
        allowFail: true,
    });
    return r.stdout.trim();
}

describe("cluster 1b. hardening: anonymous access, profiling, TLS versions", () => {
    it("anonymous requests get /livez, /readyz and /healthz on every apiserver, and 401 for /api and /version", async () => {
        for (const h of controlPlane()) {
            const base = `https://[${h.publicAddress}]:${APISERVER_PORT}`;
            for (const path of ANONYMOUS_PATHS) assert.equal(await anonymousStatus(`${base}${path}`), "200", `${h.name} ${path}`);
            for (const path of ["/api", "/version", "/apis", "/api/v1/namespaces/default/pods"])
                assert.equal(await anonymousStatus(`${base}${path}`), "401", `${h.name}: anonymous ${path}`);
        }
    });

    it("no apiserver serves /debug/pprof/, not even to an admin (--profiling=false)", async () => {
        for (const h of controlPlane()) {
            const server = `https://[${h.publicAddress}]:${APISERVER_PORT}`;
            const r = await kubectl(operator(), ["--server", server, "get", "--raw", "/debug/pprof/"], { allowFail: true });
            assert.notEqual(r.code, 0, `${h.name} served /debug/pprof/:\n${r.stdout.slice(0, 300)}`);
            assert.match(r.stderr, /NotFound|could not find/, `${h.name}: ${r.stderr}`);
            // Control: the same admin gets a real path there.
            assert.equal((await kubectl(operator(), ["--server", server, "get", "--raw", "/readyz"])).stdout.trim(), "ok");
        }
    });

    it("every control-plane TLS listener refuses TLS 1.1 (a protocol alert from the server) and completes TLS 1.2", async () => {
        const lab1 = hostNamed("lab1");
        const etcdClient = `-cert ${PATHS.apiserverEtcdClient.cert} -key ${PATHS.apiserverEtcdClient.key}`;
        const listeners = [
            ...controlPlane().flatMap((h) => [
                { what: `${h.name} apiserver`, at: `[${h.wireguardAddress}]:${APISERVER_PORT}`, extra: "" },
                { what: `${h.name} etcd`, at: `[${h.wireguardAddress}]:${ETCD_CLIENT_PORT}`, extra: etcdClient },
            ]),
            ...labState().hosts.map((h) => ({ what: `${h.name} kubelet`, at: `[${h.wireguardAddress}]:${KUBELET_PORT}`, extra: "" })),
            { what: "lab1 controller-manager", at: `[::1]:${CONTROLLER_MANAGER_PORT}`, extra: "" },
            { what: "lab1 scheduler", at: `[::1]:${SCHEDULER_PORT}`, extra: "" },
        ];
        for (const l of listeners) {
            // SECLEVEL=0: OpenSSL 3 would not even offer TLS 1.1 otherwise, and the server's answer is the point.
            const old = await shOnMachine(
                lab1,
                `openssl s_client -connect '${l.at}' -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' ${l.extra} </dev/null 2>&1`,
                {
                    allowFail: true,
                },
            );
            assert.notEqual(old.code, 0, `${l.what} completed a TLS 1.1 handshake`);
            assert.match(
                old.stdout,
                /alert protocol version|alert number 70/,
                `${l.what}: not refused by the server:\n${old.stdout.slice(-600)}`,
            );
            const current = await shOnMachine(lab1, `openssl s_client -connect '${l.at}' -tls1_2 ${l.extra} </dev/null 2>&1`, {
                allowFail: true,
            });
            assert.match(
                current.stdout,
                /New, TLSv1\.2|Protocol *: TLSv1\.2/,
                `${l.what}: no TLS 1.2 handshake either:\n${current.stdout.slice(-600)}`,
            );
        }
    });
});
