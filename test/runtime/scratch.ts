// Runs bash as root in a private mount namespace with a scratch /usr/local, so the runtime scripts
// install into a tmpfs instead of the machine they run on.
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

/**
 * Runs `script` after `setup` (more mounts) in the namespace. Asynchronous, so an HTTP server in
 * this process keeps answering; killed after 30 s so a hang fails instead of stalling.
 */
export function inScratchRoot(script: string, setup = ""): Promise<Run> {
    return new Promise((resolve) => {
        const child = spawn("unshare", [
            "--mount",
            "--propagation",
            "private",
            "bash",
            "-c",
            `mount -t tmpfs scratch /usr/local && mkdir -p /usr/local/bin /usr/local/sbin && ${setup}${script}`,
        ]);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), 30000);
        child.on("close", (status) => {
            clearTimeout(timer);
            resolve({ status, stdout, stderr });
        });
    });
}

/** Fake host tools for the start and wait scripts, each printing a line the tests look for. */
const FAKES: Record<string, string> = {
    // Records its calls; no unit is active (so the etcd watcher is started), except that with
    // FAKE_ACTIVE set every *.service unit is (containerd and the kubelet running).
    systemctl: [
        `echo "systemctl $*" >> "$FAKE_LOG"`,
        `if [ "$1" = is-active ]; then`,
        `    for a in "$@"; do case $a in *.service) [ -n "\${FAKE_ACTIVE:-}" ] && exit 0 ;; esac; done`,
        `    exit 3`,
        `fi`,
        `exit 0`,
    ].join("\n"),
    swapoff: "exit 0",
    journalctl: `echo "FAKE-JOURNAL $*"`,
    crictl: [
        `case "$*" in`,
        `*" ps -a --name "*) echo c0ffee ;;`,
        `*" ps -a") echo "FAKE-CRICTL-PS" ;;`,
        `*" logs "*) echo "FAKE-CRICTL-LOGS $*" ;;`,
        `esac`,
    ].join("\n"),
    // Runs the command in the background like a transient unit would, for at most 20 s.
    "systemd-run": [
        `echo "systemd-run $*" >> "$FAKE_LOG"`,
        `while [ "\${1#--}" != "$1" ]; do shift; done`,
        `timeout 20 "$@" </dev/null >/dev/null 2>&1 &`,
    ].join("\n"),
};

/**
 * Writes the fakes into `dir` (without crictl if `crictl` is false) and returns the setup for
 * inScratchRoot: fakes first on PATH, tmpfs over /var/lib and /var/log, an overlay over /etc with a
 * swap line in /etc/fstab.
 * Fake calls are appended to `${dir}/calls`.
 */
export function fakeHost(dir: string, opts: { crictl?: boolean } = {}): string {
    fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
    for (const [name, body] of Object.entries(FAKES)) {
        if (name === "crictl" && opts.crictl === false) continue;
        fs.writeFileSync(path.join(dir, "bin", name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    }
    fs.mkdirSync(path.join(dir, "etc-upper"));
    fs.mkdirSync(path.join(dir, "etc-work"));
    return [
        `export PATH=${dir}/bin:$PATH FAKE_LOG=${dir}/calls`,
        "mount -t tmpfs scratch /var/lib",
        "mount -t tmpfs scratch /var/log",
        // The script edits /etc/fstab in place (sed -i renames a temporary file over it): an
        // overlay keeps the machine's /etc untouched.
        `mount -t overlay scratch -o lowerdir=/etc,upperdir=${dir}/etc-upper,workdir=${dir}/etc-work /etc`,
        "echo '/swapfile none swap sw 0 0' > /etc/fstab",
        "",
    ].join(" && ");
}

/** A throwaway P-256 key and self-signed certificate for localhost: `${dir}/k` and `${dir}/c` (the fake HTTPS servers'). */
export function selfSignedLocalhost(dir: string): void {
    const args = ["-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost"];
    execFileSync("openssl", ["req", ...args, "-keyout", `${dir}/k`, "-out", `${dir}/c`], { stdio: "ignore" });
}
