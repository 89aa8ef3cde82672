// Stands in for systemd, which a network namespace does not have. The rendered commands call
// `systemctl enable X` (the glue logs it); at "boot" the lab runs what those units' [Service]
// sections say, from the unit files as they are on the host: oneshot ExecStart lines to completion,
// anything else as a recorded daemon.
import * as fs from "fs";
import * as path from "path";
import { daemonOnHost, shOnHost, systemctlLog } from "./machines";
import type { LabHost } from "./state";

const SYSTEM_UNIT_DIRS = ["/lib/systemd/system", "/usr/lib/systemd/system"];

export interface ServiceSpec {
    readonly unit: string;
    readonly type: string;
    readonly execStartPre: readonly string[];
    readonly execStart: readonly string[];
    readonly environment: Readonly<Record<string, string>>;
}

/** Units the host enabled, in the order it enabled them (duplicates dropped). */
export function enabledUnits(host: LabHost): string[] {
    const log = systemctlLog(host);
    if (!fs.existsSync(log)) return [];
    const units: string[] = [];
    for (const line of fs.readFileSync(log, "utf8").split("\n")) {
        const words = line.trim().split(/\s+/);
        if (words[0] !== "systemctl") continue;
        const verb = words.findIndex((w) => w === "enable" || w === "disable");
        if (verb < 0) continue;
        for (const u of words.slice(verb + 1).filter((w) => !w.startsWith("-"))) {
            const at = units.indexOf(u);
            // A unit disabled later (a node leaving) does not start at boot.
            if (words[verb] === "disable" && at >= 0) units.splice(at, 1);
            else if (words[verb] === "enable" && at < 0) units.push(u);
        }
    }
    return units;
}

/** Units the host no longer has enabled (a reinstall): recorded as systemctl would have them disabled. */
export function disableUnits(host: LabHost, units: readonly string[]): void {
    fs.appendFileSync(systemctlLog(host), `systemctl disable ${units.join(" ")}\n`);
}

function unitFile(host: LabHost, unit: string): string {
    const name = unit.includes(".") ? unit : `${unit}.service`;
    const template = name.replace(/@[^.]*\./, "@.");
    const own = path.join(host.root, "etc/systemd/system", name);
    if (fs.existsSync(own)) return own;
    for (const dir of SYSTEM_UNIT_DIRS) {
        for (const candidate of [path.join(dir, name), path.join(dir, template)]) if (fs.existsSync(candidate)) return candidate;
    }
    throw new Error(
        `lab: unit ${unit} of ${host.name} not found (looked in ${host.root}/etc/systemd/system and ${SYSTEM_UNIT_DIRS.join(", ")})`,
    );
}

function parseService(unit: string, text: string): ServiceSpec {
    const instance = /@([^.]+)\./.exec(unit.includes(".") ? unit : `${unit}.service`)?.[1] ?? "";
    let section = "";
    const spec = {
        unit,
        type: "simple",
        execStartPre: [] as string[],
        execStart: [] as string[],
        environment: {} as Record<string, string>,
    };
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line.startsWith("[")) section = line;
        if (section !== "[Service]" || !line.includes("=") || line.startsWith("#")) continue;
        const key = line.slice(0, line.indexOf("="));
        const value = line
            .slice(line.indexOf("=") + 1)
            .replace(/%[iI]/g, instance)
            .replace(/^[-@:+!]+/, "");
        if (key === "Type") spec.type = value;
        if (key === "ExecStartPre") spec.execStartPre.push(value);
        if (key === "ExecStart") spec.execStart.push(value);
        if (key === "Environment") {
            for (const m of value.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) spec.environment[m[1]] = m[2].replace(/^"|"$/g, "");
        }
    }
    return spec;
}

export function serviceSpec(host: LabHost, unit: string): ServiceSpec {
    return parseService(unit, fs.readFileSync(unitFile(host, unit), "utf8"));
}

/** Does what `systemctl start` would: pre-commands, then the service (to completion if oneshot). */
export async function startUnit(host: LabHost, unit: string): Promise<void> {
    const spec = serviceSpec(host, unit);
    for (const cmd of spec.execStartPre) await shOnHost(host, cmd, { env: spec.environment });
    if (spec.type === "oneshot") {
        for (const cmd of spec.execStart) await shOnHost(host, cmd, { env: spec.environment });
        return;
    }
    if (spec.execStart.length !== 1) throw new Error(`lab: ${unit} of ${host.name} has ${spec.execStart.length} ExecStart lines`);
    const argv = spec.execStart[0].split(/\s+/);
    daemonOnHost(host, unit.replace(/\.service$/, ""), argv);
}

/** A host's boot: every unit it enabled, in order. */
export async function boot(host: LabHost): Promise<string[]> {
    const units = enabledUnits(host);
    for (const u of units) await startUnit(host, u);
    return units;
}
