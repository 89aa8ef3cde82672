// Network namespaces: only names with the lab's prefix are ever created or deleted.
import { NS_PREFIX } from "./config";
import { run, runSync } from "./run";

function assertOurs(name: string): void {
    if (!name.startsWith(NS_PREFIX) || !/^[a-z0-9-]+$/.test(name) || name.length > 60) {
        throw new Error(`lab: refusing to touch network namespace "${name}" (not one of the lab's ${NS_PREFIX}*)`);
    }
}

export async function addNetns(name: string): Promise<void> {
    assertOurs(name);
    await run(["ip", "netns", "add", name]);
    await run(["ip", "-n", name, "link", "set", "lo", "up"]);
}

/** Every network namespace with a name (`ip netns list`). */
function allNetns(): string[] {
    return runSync(["ip", "netns", "list"], { allowFail: true })
        .stdout.split("\n")
        .map((l) => l.split(" ")[0])
        .filter(Boolean);
}

/** The lab's namespaces that exist now (also those of a crashed run). */
export function ourNetns(): string[] {
    return allNetns().filter((n) => n.startsWith(NS_PREFIX));
}

/** Network namespaces that are not the lab's (teardown must leave every one of them). */
export function otherNamespaces(): string[] {
    return allNetns().filter((n) => !n.startsWith(NS_PREFIX));
}

export function netnsPids(name: string): number[] {
    assertOurs(name);
    const out = runSync(["ip", "netns", "pids", name], { allowFail: true }).stdout;
    return out
        .split("\n")
        .filter((l) => /^\d+$/.test(l.trim()))
        .map((l) => Number(l.trim()));
}

export function deleteNetns(name: string): void {
    assertOurs(name);
    runSync(["ip", "netns", "del", name], { allowFail: true });
}

/** argv run inside the namespace (ip netns exec execs it: same PID). */
export function inNs(name: string, argv: readonly string[]): string[] {
    assertOurs(name);
    return ["ip", "netns", "exec", name, ...argv];
}
