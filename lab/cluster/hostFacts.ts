// What is on a host, read over SSH as an operator would: each file's mode, inode, mtime and
// sha256, and which of the services it enabled run. The cluster checks compare it with what the
// program renders (npm run render) and across a second pass of every step.
import { sha256 } from "../../components/common/hash";
import type { HostFiles } from "../../components/hosts/render/files";
import { isRunning, records } from "../processes";
import type { LabHost } from "../state";
import { enabledUnits, serviceSpec } from "../units";
import { sshOnHost } from "./ssh";
import type { HostSteps } from "./steps";

export interface FileFact {
    readonly mode: string;
    readonly inode: string;
    readonly mtime: string;
    readonly sha256: string;
}

const SAFE_PATH = /^\/[A-Za-z0-9_.@/+-]+$/;

/** Every path's facts (undefined: missing), in one SSH session. */
export async function fileFacts(host: LabHost, paths: readonly string[]): Promise<Map<string, FileFact | undefined>> {
    for (const p of paths) if (!SAFE_PATH.test(p)) throw new Error(`lab: unexpected characters in path ${p}`);
    const script = [
        'for f in "$@"; do',
        '  if [ -f "$f" ]; then printf \'%s %s %s\\n\' "$f" "$(stat -c \'%a %i %.9Y\' "$f")" "$(sha256sum < "$f" | cut -d\' \' -f1)";',
        "  else printf '%s missing\\n' \"$f\"; fi",
        "done",
    ].join("\n");
    const r = await sshOnHost(host, `set -- ${paths.join(" ")}\n${script}`, { timeoutMs: 60_000 });
    const out = new Map<string, FileFact | undefined>();
    for (const line of r.stdout.trim().split("\n")) {
        const [p, mode, inode, mtime, sha256] = line.split(" ");
        out.set(p, mode === "missing" ? undefined : { mode, inode, mtime, sha256 });
    }
    return out;
}

/** Differences between the files on the host and what was rendered: content and mode. */
export function renderDrift(files: HostFiles, facts: ReadonlyMap<string, FileFact | undefined>): string[] {
    const drift: string[] = [];
    for (const [p, f] of files) {
        const on = facts.get(p);
        const sha = sha256(f.content);
        if (!on) drift.push(`${p}: missing`);
        else {
            if (on.sha256 !== sha) drift.push(`${p}: content differs from the render`);
            if (on.mode !== f.mode.replace(/^0(?=\d{3}$)/, "")) drift.push(`${p}: mode ${on.mode}, rendered ${f.mode}`);
        }
    }
    return drift;
}

export interface UnitFact {
    readonly unit: string;
    /** "running": its recorded process lives; "oneshot": ran to completion, nothing to keep running; "timer": not emulated. */
    readonly state: "running" | "not running" | "oneshot" | "timer";
    readonly pid?: number;
}

/** Each unit the host's steps enabled, and whether its service runs (the lab records every process it starts). */
export function unitFacts(host: LabHost): UnitFact[] {
    const recs = records();
    return enabledUnits(host).map((unit): UnitFact => {
        if (unit.includes(".") && !unit.endsWith(".service")) return { unit, state: "timer" };
        if (serviceSpec(host, unit).type === "oneshot") return { unit, state: "oneshot" };
        const name = `${host.name}-${unit.replace(/\.service$/, "")}`;
        const rec = recs.find((r) => r.name === name && isRunning(r));
        return rec ? { unit, state: "running", pid: rec.pid } : { unit, state: "not running" };
    });
}

/** Every file the program writes on the host (network, mesh, NAT64 gateway, host DNS, Kubernetes) and its PKI. */
export const everyFile = (s: HostSteps): HostFiles =>
    new Map([...s.rendered.files, ...s.rendered.gateway, ...s.rendered.dns, ...s.rendered.kubernetes, ...s.pkiFiles]);

/** Each host's facts of every file the program writes there. */
export async function allFacts(steps: readonly HostSteps[]): Promise<Map<string, Map<string, FileFact | undefined>>> {
    const out = new Map<string, Map<string, FileFact | undefined>>();
    for (const s of steps) out.set(s.host.name, await fileFacts(s.host, [...everyFile(s).keys()]));
    return out;
}
