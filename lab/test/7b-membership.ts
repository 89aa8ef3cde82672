// Check 7b: cluster membership on the real datapath. A node added to the stack is brought up the
// way a new node's first `pulumi up` does (files, activate, wireguard-key, mesh) while the
// existing hosts re-run only their mesh command with the new peer (production re-runs mesh-<host>
// and nothing else there; test/program/hosts.test.ts "adding a fourth node"). mesh-up.sh updates
// wg0 in place with `wg syncconf`: the check proves that nothing restarts on the existing hosts
// (same wg0, same wireguard-go process) and that their sessions with the old peers survive. Then
// the node is removed from the stack again: its peer goes everywhere, and again nothing restarts.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { projectName, readStackFile } from "../../components/config/stackFile";
import type { StackConfig } from "../../components/config/types";
import { RenderedHost, renderStack } from "../../components/offline";
import { meshHost } from "../apply";
import { assertReachable, hostTarget, podTarget } from "../checks/reach";
import { STATE_DIR, TEST_POD } from "../config";
import { removeHost } from "../fault";
import { addHost, sameNetworkFiles, startLabHost } from "../lab";
import { wgPublicKey, wgShowArgv } from "../machines";
import { inNs } from "../netns";
import { schedulePod } from "../pods";
import { PidRecord, isRunning, records } from "../processes";
import { waitMesh, waitSettled } from "../readiness";
import { run } from "../run";
import { lab, testPods } from "../session";
import { diffSnapshots, hostSnapshot } from "../snapshot";
import { fakeHostKey } from "../../test/support/hostKeys";
import type { LabHost } from "../state";
import { WIREGUARD_PORT } from "../../components/common/ports";
import { WIREGUARD_INTERFACE } from "../../components/hosts/render/hostNet";

interface Peer {
    readonly publicKey: string;
    readonly endpoint: string;
    readonly allowedIps: string;
    /** Seconds since the epoch; 0: never. */
    readonly latestHandshake: number;
    readonly rx: number;
    readonly tx: number;
}

/** What a host's wg0 is now: the interface (index, key, port), its peers, the process behind it. */
interface WgView {
    readonly ifindex: number;
    readonly publicKey: string;
    readonly listenPort: string;
    readonly peers: ReadonlyMap<string, Peer>;
    readonly wireguardGo: readonly PidRecord[];
}

/** `wg show wg0 dump`: the interface line (private key, public key, port, fwmark), then one line per peer. */
function parseDump(host: LabHost, dump: string): Pick<WgView, "publicKey" | "listenPort" | "peers"> {
    const [iface, ...peerLines] = dump
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t"));
    assert.ok(iface && iface.length === 4, `${host.name}: wg show wg0 dump has no interface line`);
    // The private key (iface[0]) is only checked for being set; it never goes into a message.
    assert.notEqual(iface[0], "(none)", `${host.name}'s wg0 has no private key`);
    const peers = new Map<string, Peer>();
    for (const f of peerLines) {
        assert.equal(f.length, 8, `${host.name}: unexpected wg dump peer line: ${f.slice(2).join(" ")}`);
        peers.set(f[0], {
            publicKey: f[0],
            endpoint: f[2],
            allowedIps: f[3],
            latestHandshake: Number(f[4]),
            rx: Number(f[5]),
            tx: Number(f[6]),
        });
    }
    return { publicKey: iface[1], listenPort: iface[2], peers };
}

/** The wireguard-go process(es) the lab recorded for the host, each checked to run in the host's namespace. */
function wireguardGoOf(host: LabHost): PidRecord[] {
    const recs = records().filter((r) => r.name.startsWith(`${host.name}-wireguard-go-`));
    const netns = fs.statSync(`/run/netns/${host.ns}`);
    for (const r of recs) {
        assert.ok(isRunning(r), `${host.name}: recorded ${r.name} (pid ${r.pid}) does not run`);
        const own = fs.statSync(`/proc/${r.pid}/ns/net`);
        assert.ok(own.ino === netns.ino && own.dev === netns.dev, `${host.name}: recorded ${r.name} (pid ${r.pid}) is not in ${host.ns}`);
    }
    return recs;
}

async function wgView(host: LabHost): Promise<WgView> {
    const [dump, link] = await Promise.all([
        run(wgShowArgv(host, "dump")),
        run(inNs(host.ns, ["ip", "-j", "link", "show", "dev", WIREGUARD_INTERFACE])),
    ]);
    const [{ ifindex }] = JSON.parse(link.stdout) as { ifindex: number }[];
    return { ifindex, ...parseDump(host, dump.stdout), wireguardGo: wireguardGoOf(host) };
}

const procId = (recs: readonly PidRecord[]) => recs.map((r) => `${r.name} pid ${r.pid} started ${r.starttime}`).join(", ");

/**
 * The same wg0 and wireguard-go as `before` (no restart); every peer of `before` but `gone` still
 * there with the same key, endpoint and allowed IPs, its session kept (latest handshake not reset,
 * counters not back); and, besides those, exactly the peers `added`.
 */
function assertUpdatedInPlace(
    host: LabHost,
    before: WgView,
    after: WgView,
    change: { added: readonly string[]; gone: readonly string[] },
): void {
    const what = `${host.name}'s wg0`;
    assert.ok(
        before.wireguardGo.length === 1,
        `${host.name}: expected one recorded wireguard-go, found ${procId(before.wireguardGo) || "none"}`,
    );
    assert.equal(procId(after.wireguardGo), procId(before.wireguardGo), `${what}: wireguard-go was restarted`);
    assert.equal(after.ifindex, before.ifindex, `${what} was recreated (interface index ${before.ifindex} -> ${after.ifindex})`);
    assert.equal(after.publicKey, before.publicKey, `${what}'s key changed`);
    assert.equal(after.listenPort, before.listenPort, `${what}'s listen port changed`);
    const kept = [...before.peers.keys()].filter((k) => !change.gone.includes(k));
    assert.deepEqual(
        [...after.peers.keys()].sort(),
        [...kept, ...change.added].sort(),
        `${what}: peers before ${[...before.peers.keys()].join(", ")}; expected ${change.added.length} added and ${change.gone.length} removed`,
    );
    for (const key of kept) {
        const [b, a] = [before.peers.get(key)!, after.peers.get(key)!];
        assert.equal(a.endpoint, b.endpoint, `${what}: peer ${key}'s endpoint changed`);
        assert.equal(a.allowedIps, b.allowedIps, `${what}: peer ${key}'s allowed IPs changed`);
        assert.ok(
            a.latestHandshake > 0 && a.latestHandshake >= b.latestHandshake,
            `${what}: the session with ${key} was reset (latest handshake ${b.latestHandshake} -> ${a.latestHandshake})`,
        );
        assert.ok(
            a.rx >= b.rx && a.tx >= b.tx,
            `${what}: peer ${key}'s counters went back (rx ${b.rx} -> ${a.rx}, tx ${b.tx} -> ${a.tx}): the peer was recreated`,
        );
    }
}

/** The lab's stack file with one more node, written where teardown removes it, read by the project's config reader. */
function stackWith(stack: string, node: Record<string, unknown>): StackConfig {
    const doc = parse(fs.readFileSync(stack, "utf8")) as { config: Record<string, unknown> };
    const key = [`${projectName()}:nodes`, "nodes"].find((k) => Array.isArray(doc.config[k]));
    assert.ok(key, `${stack} has no nodes list`);
    doc.config[key] = [...(doc.config[key] as unknown[]), node];
    const file = path.join(STATE_DIR, "stacks", `${path.basename(stack, ".yaml")}+${String(node.name)}.yaml`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, stringify(doc));
    return readStackFile(file);
}

describe("7b. membership: a node added joins every existing host's mesh in place (wg syncconf, nothing restarts); removed, its peer goes everywhere", function () {
    this.timeout(180_000);
    let existing: LabHost[] = [];
    /** The stack as the lab runs it, and with the new node. */
    let without: StackConfig;
    let withNew: StackConfig;
    let newName = "";
    const keys: Record<string, string> = {};
    let original: RenderedHost[] = [];
    let joined: LabHost | undefined;
    const beforeJoin = new Map<string, WgView>();
    const afterJoin = new Map<string, WgView>();
    const snapshotsBefore = new Map<string, Record<string, unknown>>();

    before(async () => {
        const state = lab();
        existing = [...state.hosts];
        without = readStackFile(state.stack);
        // lab4 on lab/stacks/lab.yaml: the next index, its /64 next to the others; documentation addresses only.
        const index = Math.max(...without.nodes.map((n) => n.index)) + 1;
        newName = `lab${index}`;
        const gua = `2001:db8:1:${index.toString(16)}::/64`;
        assert.ok(!existing.some((h) => h.name === newName || h.gua === gua), `${newName} or ${gua} is in the lab already`);
        // The lab reaches its hosts without SSH: a made-up host key satisfies the config.
        withNew = stackWith(state.stack, {
            name: newName,
            index,
            kind: "dedicated",
            roles: ["worker"],
            gua,
            hostKey: fakeHostKey(newName),
        });
        for (const h of existing) keys[h.name] = await wgPublicKey(h);
        original = renderStack(without, { publicKeys: keys });
        // Every pair of hosts talks (so every peer has a session), then step 1: what every host has now.
        await waitMesh(state);
        for (const h of existing) {
            beforeJoin.set(h.name, await wgView(h));
            snapshotsBefore.set(h.name, await hostSnapshot(h));
        }
        for (const h of existing) {
            for (const p of beforeJoin.get(h.name)!.peers.values()) {
                assert.ok(
                    p.latestHandshake > 0,
                    `precondition: ${h.name} has no session with ${p.publicKey}, so "the session was kept" would prove nothing`,
                );
            }
        }
    });

    after(async () => {
        // Only when a test failed half-way: the lab goes back to its own stack for the checks after this one.
        const state = lab();
        const left = state.hosts.find((h) => h.name === newName);
        if (!left) return;
        await Promise.all(existing.map((h, i) => meshHost(h, original[i])));
        removeHost(state, left);
    });

    it("rendering the stack with the new node changes only the existing hosts' mesh command (files, activate, wireguard-key as before)", () => {
        const first = renderStack(withNew);
        assert.equal(first.length, existing.length + 1);
        const withKeys = renderStack(withNew, { publicKeys: keys });
        existing.forEach((h, i) => {
            assert.ok(
                sameNetworkFiles(withKeys[i], original[i]),
                `${h.name}'s files or activate command changed with the new node: production would re-run more than its mesh`,
            );
            assert.equal(withKeys[i].commands.wireguardKey, original[i].commands.wireguardKey, `${h.name}'s wireguard-key command changed`);
            assert.notEqual(
                withKeys[i].commands.mesh,
                original[i].commands.mesh,
                `${h.name}'s mesh command did not change: the new node is not its peer`,
            );
        });
    });

    it("the new node comes up by the lab's own steps; the existing hosts re-run only their mesh; every pod pair, the new node's included, talks over ULA", async () => {
        const state = lab();
        // The new node's files, activate, wireguard-key (recorded in the state before anything exists).
        const { host, publicKey } = await addHost(state, withNew, newName);
        joined = host;
        // Then `pulumi up`'s mesh step: every host's mesh, with every key, all at once; the existing
        // hosts run nothing else.
        const renderedWith = renderStack(withNew, { publicKeys: { ...keys, [newName]: publicKey } });
        const i = withNew.nodes.findIndex((n) => n.name === newName);
        assert.ok(
            sameNetworkFiles(renderedWith[i], renderStack(withNew)[i]),
            `${newName}'s network files changed when the keys were added`,
        );
        await Promise.all([startLabHost(host, renderedWith[i]), ...existing.map((h, j) => meshHost(h, renderedWith[j]))]);
        // The existing hosts' wg0 right after the update, before any new traffic: a peer that was
        // recreated would show no handshake and zero counters here (later traffic would hide it).
        for (const h of existing) afterJoin.set(h.name, await wgView(h));
        await schedulePod(state, host, TEST_POD);
        await waitSettled(state);
        await waitMesh(state, [host]);
        const pods = testPods();
        assert.ok(
            pods.some((p) => p.host === newName),
            `${newName} has no pod`,
        );
        await assertReachable(state, pods, [...pods.map(podTarget), ...state.hosts.map(hostTarget)], `with ${newName} joined`);
    });

    it("on every existing host: the same wg0 (interface index) and wireguard-go (PID), the old peers' keys, endpoints and sessions kept, exactly one peer added", async () => {
        assert.ok(joined, "the previous test did not bring the new node up");
        const host = joined;
        const view = await wgView(host);
        const newKey = view.publicKey;
        for (const h of existing) {
            // Right after the update, and again now that every pair has talked.
            assertUpdatedInPlace(h, beforeJoin.get(h.name)!, afterJoin.get(h.name)!, { added: [newKey], gone: [] });
            const now = await wgView(h);
            assertUpdatedInPlace(h, afterJoin.get(h.name)!, now, { added: [], gone: [] });
            afterJoin.set(h.name, now);
            const peer = now.peers.get(newKey)!;
            assert.equal(peer.endpoint, `[${host.publicAddress}]:${WIREGUARD_PORT}`, `${h.name}: the new peer's endpoint`);
            assert.equal(peer.allowedIps, host.ula, `${h.name}: the new peer's allowed IPs`);
            assert.ok(
                peer.latestHandshake > 0 && peer.rx > 0 && peer.tx > 0,
                `${h.name} has no session with ${newName} although their pods talked`,
            );
        }
        // And the new node has every existing host as its peer, nothing else.
        assert.deepEqual([...view.peers.keys()].sort(), existing.map((h) => keys[h.name]).sort(), `${newName}'s peers`);
        assert.equal(view.wireguardGo.length, 1, `${newName}: expected one recorded wireguard-go`);
    });

    it("removed again (mesh re-run on the others without it, then torn down by PID and its namespaces): its peer is gone everywhere, nothing restarted, the rest still talks pairwise", async () => {
        assert.ok(joined, "the earlier tests did not bring the new node up");
        const state = lab();
        const host = joined;
        const newKey = (await wgView(host)).publicKey;
        const rendered = renderStack(without, { publicKeys: keys });
        existing.forEach((h, i) =>
            assert.equal(
                rendered[i].commands.mesh,
                original[i].commands.mesh,
                `${h.name}: the stack without ${newName} renders another mesh than before it joined`,
            ),
        );
        await Promise.all(existing.map((h, i) => meshHost(h, rendered[i])));
        // Right after the update, before any new traffic (as for the join).
        const updated = await Promise.all(existing.map(wgView));
        const netnsBefore = [host.ns, ...state.pods.filter((p) => p.host === host.name).map((p) => p.ns)];
        const unrecorded = removeHost(state, host);
        joined = undefined;
        assert.deepEqual(unrecorded, [], `processes ran in ${newName}'s namespaces without a PID record`);
        assert.ok(
            !state.hosts.some((h) => h.name === newName) && !state.pods.some((p) => p.host === newName),
            "the state still lists the removed node",
        );
        const namespaces = (await run(["ip", "netns", "list"])).stdout;
        for (const ns of netnsBefore) assert.doesNotMatch(namespaces, new RegExp(`^${ns}( |$)`, "m"), `${ns} is still there`);
        assert.deepEqual(
            records()
                .filter((r) => r.name.startsWith(`${newName}-`))
                .map((r) => r.name),
            [],
            `${newName}'s processes are still recorded`,
        );

        for (const [i, h] of existing.entries()) {
            const after = await wgView(h);
            assert.ok(!updated[i].peers.has(newKey) && !after.peers.has(newKey), `${h.name} still has ${newName}'s peer`);
            // Against the view with the new node: the old peers' sessions kept through the removal.
            assertUpdatedInPlace(h, afterJoin.get(h.name)!, updated[i], { added: [], gone: [newKey] });
            // Against the view before the join: same process and interface, the old peers and nothing else.
            assertUpdatedInPlace(h, beforeJoin.get(h.name)!, after, { added: [], gone: [] });
        }
        await waitMesh(state);
        const pods = testPods();
        await assertReachable(state, pods, [...pods.map(podTarget), ...state.hosts.map(hostTarget)], `after ${newName} left`);
    });

    it("and every existing host is as before the node joined: addresses, links, routes, rules, ruleset, sysctls, WireGuard peers", async () => {
        assert.ok(!lab().hosts.some((h) => h.name === newName), "the node was not removed");
        const changes: string[] = [];
        for (const h of existing)
            changes.push(...diffSnapshots(snapshotsBefore.get(h.name)!, await hostSnapshot(h)).map((d) => `${h.name} ${d}`));
        if (changes.length > 0) assert.fail(`adding and removing ${newName} left changes (- before, + after):\n  ${changes.join("\n  ")}`);
    });
});
