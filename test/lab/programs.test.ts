// Every program the labs start is named in the preflight's table with the package that provides
// it, and install-deps.sh installs that package: a fresh machine fails in the preflight naming the
// package, never half-way through a bring-up (sshd and unbound were missing once). The programs are
// read from the sources with the TypeScript compiler: the first element of every argv handed to
// the functions that start processes, and the programs the glue scripts run.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import ts from "typescript";
import { NODE_PACKAGES } from "../../components/hosts/render/scripts";
import { NAT64_PACKAGES } from "../../components/nat64/render/files";
import { DNS64_RESOLVER_PACKAGES } from "../../components/nat64/render/hostDns";
import { ESSENTIAL_PACKAGES, LAB_PROGRAMS } from "../../lab/preflight";

const ROOT = path.join(__dirname, "..", "..");
const LAB = path.join(ROOT, "lab");
/** The functions that start a process from an argv (the argument index of that argv). */
const LAUNCHERS: Readonly<Record<string, number>> = {
    run: 0,
    runSync: 0,
    runInherited: 0,
    spawn: 0,
    spawnSync: 0,
    startDaemon: 1,
    inNs: 1,
    argvIn: 1,
    hostArgv: 1,
    onHost: 1,
    daemonOnHost: 2,
    podArgv: 1,
    machineArgv: 1,
    toolboxExec: 1,
};
/** Wrappers: their own first element is a program too, and so is what they run (their next array). */
const NOT_A_PROGRAM = new Set(["env", "sudo"]);

function tsFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "plugins" || e.name === "node_modules" ? [] : tsFiles(p);
        return e.name.endsWith(".ts") ? [p] : [];
    });
}

/** Programs started from a TypeScript file: the first string of each launcher's argv. */
export function launchedPrograms(file: string, text: string): { program: string; where: string }[] {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const constants = new Map<string, string>();
    const found: { program: string; where: string }[] = [];
    const collect = (n: ts.Node) => {
        if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isStringLiteralLike(n.initializer)) {
            constants.set(n.name.text, n.initializer.text);
        }
        ts.forEachChild(n, collect);
    };
    collect(source);
    const first = (e: ts.Expression | undefined): string | undefined => {
        if (!e) return undefined;
        if (ts.isStringLiteralLike(e)) return e.text;
        if (ts.isIdentifier(e)) return constants.get(e.text);
        return undefined;
    };
    const visit = (n: ts.Node) => {
        if (ts.isCallExpression(n)) {
            const callee = ts.isIdentifier(n.expression)
                ? n.expression.text
                : ts.isPropertyAccessExpression(n.expression)
                  ? n.expression.name.text
                  : "";
            const at = LAUNCHERS[callee];
            const argv = at === undefined ? undefined : n.arguments[at];
            if (argv && ts.isArrayLiteralExpression(argv)) {
                const program = first(argv.elements[0] as ts.Expression | undefined);
                if (program !== undefined && !NOT_A_PROGRAM.has(program)) {
                    const line = source.getLineAndCharacterOfPosition(n.getStart()).line + 1;
                    found.push({ program, where: `${path.relative(ROOT, file)}:${line}` });
                }
            }
        }
        ts.forEachChild(n, visit);
    };
    visit(source);
    return found;
}

/** The packages lab/install-deps.sh installs (its `packages=(...)` list). */
function installedPackages(): string[] {
    const text = fs.readFileSync(path.join(LAB, "install-deps.sh"), "utf8");
    const m = /^packages=\(([^)]*)\)/m.exec(text);
    assert.ok(m, "lab/install-deps.sh has no packages=(...) list");
    return m[1].split(/\s+/).filter(Boolean);
}

describe("lab programs: every program the labs run is checked by the preflight and installed by install-deps.sh", () => {
    const launched = tsFiles(LAB).flatMap((f) => launchedPrograms(f, fs.readFileSync(f, "utf8")));

    it("finds the launches (the reader works): ssh, sshd, skopeo, docker-registry, ip are among them", () => {
        const names = new Set(launched.map((l) => l.program));
        for (const p of ["ssh", "/usr/sbin/sshd", "skopeo", "docker-registry", "ip", "ssh-keygen", "ssh-keyscan"]) {
            assert.ok(names.has(p), `${p} not found among ${[...names].sort().join(", ")}`);
        }
    });

    it("names every launched program in LAB_PROGRAMS (lab/preflight.ts) with its package", () => {
        const unnamed = launched.filter((l) => !(l.program in LAB_PROGRAMS)).map((l) => `${l.program} (${l.where})`);
        assert.deepEqual(unnamed, []);
    });

    it("installs every package LAB_PROGRAMS names (install-deps.sh), but the essential ones and the toolchain's", () => {
        const installed = installedPackages();
        const missing = [...new Set(Object.values(LAB_PROGRAMS))].filter(
            (p) => p !== "toolchain" && !ESSENTIAL_PACKAGES.includes(p) && !installed.includes(p),
        );
        assert.deepEqual(missing, []);
    });

    it("would fail on a program missing from the table (the reader on a synthetic file)", () => {
        const l = launchedPrograms(
            "x.ts",
            'const SSHD = "/usr/sbin/sshd"; run(inNs(ns, [SSHD, "-D"])); startDaemon("n", ["unknown-tool", "x"]);',
        );
        assert.deepEqual(
            l.map((x) => x.program),
            ["/usr/sbin/sshd", "unknown-tool"],
        );
        assert.ok(!("unknown-tool" in LAB_PROGRAMS));
    });

    it("installs every package production's rendered scripts install with apt (the lab's apt-get glue refuses: unbound was missing once)", () => {
        const installed = installedPackages();
        const rendered = [...NODE_PACKAGES, ...NAT64_PACKAGES, ...DNS64_RESOLVER_PACKAGES];
        assert.deepEqual(
            rendered.filter((p) => !installed.includes(p)),
            [],
        );
    });
});
