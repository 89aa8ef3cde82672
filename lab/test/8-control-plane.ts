// Check 8: etcd, Debian's etcd-server, started on every control-plane lab host with exactly the
// flags the project renders for its static pod, and certificates issued from the project's PKI
// profiles (by OpenSSL here; @pulumi/tls in production). It must form one cluster over the mesh
// ULAs with TLS on bracketed IPv6 URLs, and stay closed to the internet.
import { DEFAULT_KUBELET } from "../../components/config/kubeletSettings";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackFile } from "../../components/config/stackFile";
import { clusterFacts, nodeFacts, pkiInput } from "../../components/controlplane/facts";
import { ETCD_DATA_DIR, K8S_DIR, PATHS } from "../../components/controlplane/paths";
import { certProfiles } from "../../components/controlplane/pki/profiles";
import { ETCD_CLIENT_PORT } from "../../components/controlplane/render/defaults";
import { etcdClientUrl, etcdFlags } from "../../components/controlplane/render/etcd";
import { planStack } from "../../components/config/stackPlan";
import { issueWithOpenssl } from "../../test/support/opensslPki";
import { INET6_NS, IN_NS } from "../config";
import { inNs } from "../netns";
import { tcpRequest } from "../probes";
import { PidRecord, records, startDaemon, stopPid } from "../processes";
import { eventually, run } from "../run";
import { waitForLog } from "../servers";
import { LabHost, hostNamed } from "../state";
import { lab } from "../session";

const CLIENT = "apiserver-etcd-client";

describe("8. control plane subset: etcd from the rendered flags forms a TLS cluster over the mesh", function () {
    this.timeout(180_000);
    const roots = new Map<string, string>();
    const daemons: PidRecord[] = [];
    const createdMountPoints: string[] = [];
    let members: LabHost[] = [];
    const clientUrl = (m: LabHost) => etcdClientUrl({ name: m.name, meshAddress: m.wireguardAddress });

    /** Runs etcdctl on `host` as the apiserver would connect (its etcd client certificate). */
    function etcdctl(host: LabHost, args: string[]) {
        const client = { cert: `${PATHS.apiserverEtcdClient.cert}`, key: `${PATHS.apiserverEtcdClient.key}` };
        const endpoints = members.map(clientUrl).join(",");
        return run(
            inNs(host.ns, [
                IN_NS,
                roots.get(host.name)!,
                "etcdctl",
                `--endpoints=${endpoints}`,
                `--cacert=${PATHS.etcdCa.cert}`,
                `--cert=${client.cert}`,
                `--key=${client.key}`,
                "--command-timeout=5s",
                ...args,
            ]),
            { env: { ETCDCTL_API: "3" }, allowFail: true, timeoutMs: 20_000 },
        );
    }

    before(async () => {
        const state = lab();
        const config = readStackFile(state.stack);
        const plan = planStack(config);
        members = state.hosts.filter((h) => plan.nodes.find((n) => n.name === h.name)!.roles.includes("control-plane"));
        assert.ok(members.length >= 3, `the lab stack has ${members.length} control-plane nodes; check 8 needs 3`);
        // The stand-in listeners hold [::]:2379 for check 3; etcd needs the port now.
        for (const rec of records().filter((r) => r.name.endsWith("-stand-ins"))) stopPid(rec);

        const facts = clusterFacts(config.cluster, plan);
        const publicAddresses = config.nodes.map((n) => hostNamed(state, n.name).publicAddress);
        const pki = issueWithOpenssl(
            fs.mkdtempSync(path.join(os.tmpdir(), "v6l-etcd-pki-")),
            certProfiles(pkiInput(config.cluster, plan, publicAddresses)),
        );
        // Per-host /etc/kubernetes and /var/lib/etcd, bind-mounted where production has them.
        for (const dir of [K8S_DIR, ETCD_DATA_DIR]) {
            if (!fs.existsSync(dir)) {
                fs.mkdirSync(dir, { recursive: true });
                createdMountPoints.push(dir);
            }
        }
        for (const h of members) {
            const root = fs.mkdtempSync(path.join(os.tmpdir(), `v6l-etcd-${h.name}-`));
            roots.set(h.name, root);
            const put = (target: string, source: string, mode: number) => {
                fs.mkdirSync(path.dirname(root + target), { recursive: true });
                fs.copyFileSync(source, root + target);
                fs.chmodSync(root + target, mode);
            };
            put(PATHS.etcdCa.cert, pki.ca("etcd").cert, 0o644);
            for (const [id, paths] of [
                [`${h.name}-etcd-server`, PATHS.etcdServer],
                [`${h.name}-etcd-peer`, PATHS.etcdPeer],
                [`${h.name}-${CLIENT}`, PATHS.apiserverEtcdClient],
            ] as const) {
                put(paths.cert, pki.leaf(id).cert, 0o644);
                put(paths.key, pki.leaf(id).key, 0o600);
            }
            fs.mkdirSync(root + ETCD_DATA_DIR, { recursive: true, mode: 0o700 });
            fs.writeFileSync(path.join(root, ".binds"), `${K8S_DIR}\n${ETCD_DATA_DIR}\n`);
            const flags = etcdFlags(
                facts,
                nodeFacts(
                    plan.nodes.find((n) => n.name === h.name)!,
                    h.publicAddress,
                    config.cluster.scheduleOnControlPlane,
                    DEFAULT_KUBELET,
                ),
                "new",
            );
            // Glue: Debian's etcd is 3.4, which predates --tls-min-version (3.5); the cluster lab runs
            // the real 3.6 with every flag, and its check 1b asks etcd for a TLS 1.1 handshake.
            const debianEtcd = flags.filter((f) => !f.startsWith("--tls-min-version="));
            daemons.push(startDaemon(`${h.name}-etcd`, inNs(h.ns, [IN_NS, root, "etcd", ...debianEtcd])));
        }
        await Promise.all(daemons.map((d) => waitForLog(d, /ready to serve client requests|serving client/, 60_000)));
    });

    after(() => {
        for (const d of daemons) stopPid(d);
        for (const root of roots.values()) fs.rmSync(root, { recursive: true, force: true });
        for (const dir of createdMountPoints.reverse()) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("all members report healthy over their mesh ULAs (TLS, client certificates)", async () => {
        const healthy = await eventually(async () => (await etcdctl(members[0], ["endpoint", "health"])).code === 0, 60_000, 1000);
        const r = await etcdctl(members[0], ["endpoint", "health"]);
        assert.ok(healthy, `etcd is not healthy:\n${r.stdout}${r.stderr}`);
        for (const m of members) assert.match(r.stdout + r.stderr, new RegExp(`https://\\[${m.wireguardAddress}\\]:2379 is healthy`));
    });

    it("forms one cluster: every member lists every peer by its bracketed ULA peer URL", async () => {
        for (const h of members) {
            const r = await etcdctl(h, ["member", "list", "-w", "simple"]);
            assert.equal(r.code, 0, r.stderr);
            for (const m of members)
                assert.match(
                    r.stdout,
                    new RegExp(`, ${m.name}, https://\\[${m.wireguardAddress}\\]:2380, `),
                    `${h.name} does not list ${m.name}`,
                );
        }
    });

    it("a write on one member is read on another", async () => {
        assert.equal((await etcdctl(members[0], ["put", "/v6k8s/lab", "check-8"])).code, 0);
        const r = await etcdctl(members[2], ["get", "/v6k8s/lab", "--print-value-only"]);
        assert.equal(r.stdout.trim(), "check-8");
    });

    it("refuses a client without a certificate from the etcd CA", async () => {
        const r = await run(
            inNs(members[1].ns, [
                IN_NS,
                roots.get(members[1].name)!,
                "etcdctl",
                `--endpoints=${clientUrl(members[1])}`,
                `--cacert=${PATHS.etcdCa.cert}`,
                "--command-timeout=3s",
                "get",
                "/v6k8s/lab",
            ]),
            { env: { ETCDCTL_API: "3" }, allowFail: true, timeoutMs: 20_000 },
        );
        assert.notEqual(r.code, 0, "etcd answered a client that presented no certificate");
    });

    it("the IPv6 internet cannot open etcd on any host's public address", async () => {
        for (const h of members) {
            const r = await tcpRequest({ ns: INET6_NS }, h.publicAddress, ETCD_CLIENT_PORT, 2);
            assert.equal(r.reply, null, `the internet reached etcd on ${h.name}`);
        }
    });
});
