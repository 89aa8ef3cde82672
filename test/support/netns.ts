// Throwaway network namespaces for datapath tests. Names carry the test's PID so parallel or
// crashed runs never collide, and only namespaces made here are ever deleted.
import { execFileSync } from "child_process";
import * as fs from "fs";

export const CNI_BIN = "/usr/lib/cni";

/** Why datapath tests cannot run here, or undefined when they can. */
export function datapathUnavailable(plugins: string[]): string | undefined {
    if (process.getuid?.() !== 0) return "needs root (network namespaces)";
    for (const p of plugins) {
        if (!fs.existsSync(`${CNI_BIN}/${p}`)) return `${CNI_BIN}/${p} is missing (apt-get install containernetworking-plugins)`;
    }
    return undefined;
}

/**
 * Skips the suite with the reason, loudly; in CI (V6K8S_REQUIRE_DATAPATH=1) a missing prerequisite
 * is a failure instead, so a skipped datapath check can never pass for a green run.
 */
export function requireDatapath(ctx: Mocha.Context, plugins: string[]): void {
    const why = datapathUnavailable(plugins);
    if (!why) return;
    if (process.env.V6K8S_REQUIRE_DATAPATH === "1") throw new Error(`datapath test cannot run: ${why}`);
    console.warn(`\n  !!! SKIPPED datapath test: ${why} !!!\n`);
    ctx.skip();
}

export class Netns {
    constructor(readonly name: string) {
        execFileSync("ip", ["netns", "add", name]);
        this.exec(["ip", "link", "set", "lo", "up"]);
    }

    get path(): string {
        return `/var/run/netns/${this.name}`;
    }

    exec(argv: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
        return execFileSync("ip", ["netns", "exec", this.name, ...argv], {
            input: opts.input,
            env: opts.env ?? process.env,
            encoding: "utf8",
        });
    }

    delete(): void {
        try {
            execFileSync("ip", ["netns", "delete", this.name], { stdio: "ignore" });
        } catch {
            // already gone
        }
    }
}
