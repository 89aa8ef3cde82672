// The layering of components/, read from the sources with the TypeScript compiler (no program run):
// every import arrow points down, so a value can be followed from the stack file to the file on
// the host in a straight line (README, "Layout"). Type-only imports count too: a lower layer that
// names an upper layer's type has to change when that type does.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import ts from "typescript";

const ROOT = path.join(__dirname, "..", "..");
const COMPONENTS = path.join(ROOT, "components");

/** One import arrow, with paths relative to the repository root. */
interface Arrow {
    /** The importing file, "components/network/plan.ts". */
    readonly file: string;
    /** The module as written: "../config/types", "@pulumi/pulumi". */
    readonly specifier: string;
    /** A relative specifier resolved, without extension ("components/config/types"); null for a package. */
    readonly target: string | null;
}

const ABOVE_CONFIG = ["hosts/", "controlplane/", "addons/", "nat64/", "dns/", "runtime/"];
/**
 * What a lower layer must never import. common/ and network/ are the vocabulary every layer
 * shares (ports, hashes, prefixes, the address plan); config/ reads and validates the stack file
 * with it; everything above renders and creates from a validated config and its plan.
 */
const FORBIDDEN: ReadonlyMap<string, readonly string[]> = new Map([
    ["common/", ["config/", ...ABOVE_CONFIG]],
    ["network/", ["config/", ...ABOVE_CONFIG]],
    ["config/", ABOVE_CONFIG],
]);
/** The composition roots: they import every concern, and nothing under components/ imports them. */
const COMPOSITION_ROOTS = ["components/offline", "index"];

function tsFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return tsFiles(p);
        return e.name.endsWith(".ts") ? [p] : [];
    });
}

const rel = (p: string) => path.relative(ROOT, p).split(path.sep).join("/");

function arrow(file: string, specifier: string): Arrow {
    const target = specifier.startsWith(".") ? rel(path.resolve(ROOT, path.dirname(file), specifier)).replace(/\.ts$/, "") : null;
    return { file, specifier, target };
}

/** Every module a file names: import and export declarations, `import x = require()`, `require()`, `import()`, `import("…").T`. */
function specifiers(source: ts.SourceFile): string[] {
    const found: string[] = [];
    const literal = (e: ts.Node | undefined) => {
        if (e && ts.isStringLiteral(e)) found.push(e.text);
    };
    const visit = (n: ts.Node) => {
        if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier) literal(n.moduleSpecifier);
        else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) literal(n.moduleReference.expression);
        else if (
            ts.isCallExpression(n) &&
            (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === "require"))
        )
            literal(n.arguments[0]);
        else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) literal(n.argument.literal);
        ts.forEachChild(n, visit);
    };
    visit(source);
    return found;
}

function componentArrows(): { files: string[]; arrows: Arrow[] } {
    const files = tsFiles(COMPONENTS);
    const arrows = files.flatMap((f) => {
        const source = ts.createSourceFile(f, fs.readFileSync(f, "utf8"), ts.ScriptTarget.ES2022, true);
        return specifiers(source).map((s) => arrow(rel(f), s));
    });
    return { files: files.map(rel), arrows };
}

/** "network/" for anything under components/network/, "offline.ts" for a file directly in components/, else the path. */
function layerOf(p: string): string {
    const m = /^components\/(.+?)(\.ts)?$/.exec(p);
    if (!m) return p;
    const [first, ...rest] = m[1].split("/");
    return rest.length > 0 ? `${first}/` : `${first}.ts`;
}

const where = (a: Arrow) => `${a.file} imports "${a.specifier}"`;

function downwardViolations(arrows: readonly Arrow[]): string[] {
    return arrows.flatMap((a) => {
        if (a.target === null) return [];
        const from = layerOf(a.file),
            to = layerOf(a.target);
        return FORBIDDEN.get(from)?.includes(to) ? [`${where(a)}: ${from} must not import ${to}`] : [];
    });
}

function compositionRootImports(arrows: readonly Arrow[]): string[] {
    return arrows
        .filter((a) => a.target !== null && COMPOSITION_ROOTS.includes(a.target))
        .map((a) => `${where(a)}: ${a.target}.ts composes every concern, nothing under components/ may import it`);
}

/** Folders that reach each other through imports (a loop), each with the arrows that close it. */
function folderCycles(arrows: readonly Arrow[]): string[] {
    const edges = new Map<string, Map<string, Arrow>>();
    for (const a of arrows) {
        if (a.target === null) continue;
        const from = layerOf(a.file),
            to = layerOf(a.target);
        if (from === to || !from.endsWith("/") || !to.endsWith("/")) continue;
        if (!edges.has(from)) edges.set(from, new Map());
        if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, a);
    }
    const reach = (start: string): Set<string> => {
        const seen = new Set<string>();
        const todo = [start];
        while (todo.length > 0) {
            for (const next of edges.get(todo.pop()!)?.keys() ?? []) {
                if (!seen.has(next)) {
                    seen.add(next);
                    todo.push(next);
                }
            }
        }
        return seen;
    };
    const problems: string[] = [];
    for (const [from, tos] of [...edges].sort(([a], [b]) => a.localeCompare(b))) {
        for (const [to, a] of tos) {
            if (reach(to).has(from)) problems.push(`${from} -> ${to} closes a loop (${where(a)}), and ${to} reaches ${from} back`);
        }
    }
    return problems;
}

/** Pure modules compute and render and never declare resources (house style 5): no @pulumi/* at all. */
function isPure(file: string): boolean {
    if (file === "components/config/pulumiConfig.ts") return false;
    return /^components\/(network|common|config)\//.test(file) || /^components\/[^/]+\/render\//.test(file);
}

function pulumiInPureModules(arrows: readonly Arrow[]): string[] {
    return arrows
        .filter((a) => a.target === null && a.specifier.startsWith("@pulumi/") && isPure(a.file))
        .map((a) => `${where(a)}: a pure module (no Pulumi)`);
}

describe("layering of components/: every import arrow points down", () => {
    const { files, arrows } = componentArrows();

    it("reads every file's imports, type-only ones included", () => {
        assert.ok(files.length > 50, `only ${files.length} files under components/`);
        const seen = (file: string, target: string) => arrows.some((a) => a.file === file && a.target === target);
        assert.ok(seen("components/config/types.ts", "components/network/prefix"), "config/ -> network/ not seen");
        assert.ok(seen("components/config/stackPlan.ts", "components/config/types"), "an `import type` not seen");
        assert.ok(
            arrows.some((a) => a.specifier === "@pulumi/pulumi"),
            "no package import seen",
        );
    });

    it("common/ and network/ import nothing from config/ or above, config/ nothing from the layers that render and create", () => {
        assert.deepEqual(downwardViolations(arrows), []);
    });

    it("nothing under components/ imports components/offline.ts or index.ts (the composition roots)", () => {
        assert.deepEqual(compositionRootImports(arrows), []);
    });

    it("no folder under components/ reaches itself back through imports", () => {
        assert.deepEqual(folderCycles(arrows), []);
    });

    it("network/, common/, config/ (but pulumiConfig.ts) and every render/ folder import no Pulumi package", () => {
        assert.deepEqual(pulumiInPureModules(arrows), []);
    });

    it("each rule catches a forbidden arrow (synthetic imports, so a rule cannot silently match nothing)", () => {
        assert.equal(downwardViolations([arrow("components/network/stackPlan.ts", "../config/types")]).length, 1);
        assert.equal(downwardViolations([arrow("components/common/net.ts", "../hosts/render/hostNet")]).length, 1);
        assert.equal(downwardViolations([arrow("components/config/load.ts", "../controlplane/render/defaults")]).length, 1);
        assert.equal(
            downwardViolations([arrow("components/hosts/hosts.ts", "../config/types")]).length,
            0,
            "upper layers may import config/",
        );
        assert.equal(compositionRootImports([arrow("components/hosts/mesh.ts", "../offline")]).length, 1);
        assert.equal(compositionRootImports([arrow("components/addons/render/plan.ts", "../../../index")]).length, 1);
        assert.equal(
            folderCycles([
                arrow("components/hosts/a.ts", "../nat64/b"),
                arrow("components/nat64/render/c.ts", "../../addons/d"),
                arrow("components/addons/e.ts", "../hosts/f"),
            ]).length,
            3,
        );
        assert.equal(folderCycles([arrow("components/hosts/a.ts", "../nat64/b")]).length, 0);
        assert.equal(pulumiInPureModules([arrow("components/hosts/render/files.ts", "@pulumi/pulumi")]).length, 1);
        assert.equal(pulumiInPureModules([arrow("components/config/pulumiConfig.ts", "@pulumi/pulumi")]).length, 0);
    });
});
