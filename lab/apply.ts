// Applies the rendered artifacts to a lab host exactly as production's remote commands do
// (components/hosts/render/commands.ts): files, activate, wireguard-key, then the mesh. The
// commands run unchanged as bash command lines on the host; only systemctl/modprobe/apt-get are
// glue (lab/sh/glue), and wireguard-go is started by wg-quick through lab/sh/wireguard-go-lab.sh.
import * as path from "path";
import type { HostFile } from "../components/hosts/render/files";
import type { RenderedHost } from "../components/offline";
import { nat64Files } from "../components/nat64/render/files";
import { gatewayActivateCommand, gatewayFilesCommand, hostDnsCommand } from "../components/nat64/render/gatewayFiles";
import { hostNameservers } from "../components/addons/render/plan";
import { planStack } from "../components/config/stackPlan";
import type { StackConfig } from "../components/config/types";
import { NAT64_UNIT_PATH, NAT64_UP_PATH } from "../components/nat64/render/nat64Up";
import { nat64Gateway } from "../components/nat64/render/tayga";
import { Prefix } from "../components/network/prefix";
import { shOnHost } from "./machines";
import type { RunOptions, RunResult } from "./run";
import type { LabHost } from "./state";
import { startUnit } from "./units";

/**
 * How a step's command text reaches the host: over SSH in the cluster lab (cluster/ssh.ts), as
 * production does; the network-only lab, whose hosts have no machine or sshd, enters the host's
 * namespace (machines.ts).
 */
export type HostExec = (host: LabHost, script: string, opts?: RunOptions) => Promise<RunResult>;

const WG_PUBLIC_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** Refuses to write a file whose directory is not bound to the host's own root (it would land in the machine's). */
function assertBound(host: LabHost, files: ReadonlyMap<string, HostFile>): void {
    for (const p of files.keys()) {
        if (!host.binds.includes(p.slice(0, p.lastIndexOf("/")))) {
            throw new Error(`lab: ${host.name} would write ${p} outside its bound directories (${host.binds.join(", ")})`);
        }
    }
}

/** Steps 1-3: files, activate, wireguard-key. Returns the host's WireGuard public key. */
export async function prepareHost(host: LabHost, rendered: RenderedHost, exec: HostExec = shOnHost): Promise<string> {
    assertBound(host, rendered.files);
    await exec(host, rendered.commands.files);
    await exec(host, rendered.commands.activate);
    const key = (await exec(host, rendered.commands.wireguardKey)).stdout.trim();
    if (!WG_PUBLIC_KEY.test(key)) throw new Error(`lab: ${host.name}'s wireguard-key printed ${JSON.stringify(key)}, not a public key`);
    return key;
}

/** Step 4: the mesh (wg0.conf with every peer, then mesh-up.sh). */
export async function meshHost(host: LabHost, rendered: RenderedHost, exec: HostExec = shOnHost): Promise<void> {
    await exec(host, rendered.commands.mesh);
}

export function labNat64Files(host: LabHost): ReadonlyMap<string, HostFile> {
    // The lab's state is JSON, so its prefixes come back as text: parsed here, at the lab's edge.
    const gateway = nat64Gateway({ name: host.name, nat64: host.nat64 === null ? null : Prefix.parse(host.nat64) });
    return gateway === null || host.nat64Pool === null ? new Map() : nat64Files(gateway, host.nat64Pool);
}

/**
 * The network lab's NAT64 gateway on an IPv4 host: components/nat64's files (the stack's pool)
 * written by the gateway's own files command, then what `systemctl enable --now` of the unit would
 * do (nat64-up.sh, then Tayga as a recorded daemon): the network lab's systemctl glue only logs.
 * The cluster lab runs production's whole gateway step instead (gatewayHost).
 */
export async function nat64Host(host: LabHost, mode: "start" | "reapply"): Promise<void> {
    const files = labNat64Files(host);
    if (files.size === 0) return;
    assertBound(host, files);
    const unit = path.posix.basename(NAT64_UNIT_PATH);
    await shOnHost(host, `${gatewayFilesCommand(files)}systemctl enable ${unit}\n`);
    // Re-applying runs the idempotent plumbing script again; Tayga itself keeps running.
    if (mode === "start") await startUnit(host, unit);
    else await shOnHost(host, NAT64_UP_PATH);
}

/**
 * Production's NAT64 gateway step on an IPv4 host (nat64/gateway.ts): its files (Tayga with the
 * inbound map, the inbound DNAT, the DNS64 resolver), then its activate command, both as sent.
 * `activate: false` is a re-run whose files did not change: production's activate step, triggered
 * by the files' hash, would not run either.
 */
export async function gatewayHost(host: LabHost, rendered: RenderedHost, exec: HostExec, opts: { activate?: boolean } = {}): Promise<void> {
    assertBound(host, rendered.gateway);
    await exec(host, gatewayFilesCommand(rendered.gateway));
    if (opts.activate !== false) await exec(host, gatewayActivateCommand());
}

/**
 * Production's host DNS step (nat64/hostDns.ts), the same text for every host: resolv.conf names the
 * gateways' DNS64 resolvers, then an upstream (the original kept once), and a dhclient hook keeps it.
 * Only over SSH, in the cluster lab: there each host's /etc is its machine's own overlay, so these
 * files are the host's without a bind (the network lab's hosts share the machine's /etc).
 */
export function hostDnsStep(config: StackConfig): string {
    return hostDnsCommand(hostNameservers(config, planStack(config)));
}
