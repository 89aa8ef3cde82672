// The components' shape, read from their source with the TypeScript compiler (no program run):
// every public readonly field and every Args property has a JSDoc comment, and registerOutputs
// lists exactly the public fields (the pulumi-eks style; README, "Layout").
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import ts from "typescript";

const ROOT = path.join(__dirname, "..", "..");
const COMPONENTS = path.join(ROOT, "components");

interface Component {
    readonly file: string;
    readonly name: string;
    readonly node: ts.ClassDeclaration;
    readonly source: ts.SourceFile;
}

function tsFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return tsFiles(p);
        return e.name.endsWith(".ts") ? [p] : [];
    });
}

function extendsComponentResource(c: ts.ClassDeclaration): boolean {
    return (c.heritageClauses ?? []).some(
        (h) => h.token === ts.SyntaxKind.ExtendsKeyword && h.types.some((t) => t.expression.getText() === "pulumi.ComponentResource"),
    );
}

function components(): Component[] {
    const found: Component[] = [];
    for (const file of tsFiles(COMPONENTS)) {
        const text = fs.readFileSync(file, "utf8");
        if (!text.includes("ComponentResource")) continue;
        const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
        for (const s of source.statements) {
            if (ts.isClassDeclaration(s) && s.name && extendsComponentResource(s)) {
                found.push({ file: path.relative(ROOT, file), name: s.name.text, node: s, source });
            }
        }
    }
    return found;
}

const hasJsDoc = (n: ts.Node) => ts.getJSDocCommentsAndTags(n).length > 0;
const hasModifier = (n: ts.Node, kind: ts.SyntaxKind) =>
    (ts.canHaveModifiers(n) ? (ts.getModifiers(n) ?? []) : []).some((m) => m.kind === kind);
const nameOf = (n: ts.PropertyName) => (ts.isIdentifier(n) || ts.isStringLiteral(n) ? n.text : n.getText());

/** Public readonly instance properties (no `private`, `protected`, `static`, `#name`). */
function publicFields(c: ts.ClassDeclaration): ts.PropertyDeclaration[] {
    return c.members.filter(
        (m): m is ts.PropertyDeclaration =>
            ts.isPropertyDeclaration(m) &&
            hasModifier(m, ts.SyntaxKind.ReadonlyKeyword) &&
            !hasModifier(m, ts.SyntaxKind.PrivateKeyword) &&
            !hasModifier(m, ts.SyntaxKind.ProtectedKeyword) &&
            !hasModifier(m, ts.SyntaxKind.StaticKeyword) &&
            !ts.isPrivateIdentifier(m.name),
    );
}

/** The interface named by the constructor's `args` parameter (declared in the same file). */
function argsInterface(c: Component): ts.InterfaceDeclaration | undefined {
    const ctor = c.node.members.find(ts.isConstructorDeclaration);
    const type = ctor?.parameters.find((p) => p.name.getText() === "args")?.type;
    if (!type || !ts.isTypeReferenceNode(type)) return undefined;
    const name = type.typeName.getText();
    return c.source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
}

/** The object literals passed to `this.registerOutputs(...)` anywhere in the class. */
function registerOutputsCalls(c: ts.ClassDeclaration): ts.CallExpression[] {
    const calls: ts.CallExpression[] = [];
    const visit = (n: ts.Node) => {
        if (
            ts.isCallExpression(n) &&
            ts.isPropertyAccessExpression(n.expression) &&
            n.expression.expression.kind === ts.SyntaxKind.ThisKeyword &&
            n.expression.name.text === "registerOutputs"
        ) {
            calls.push(n);
        }
        ts.forEachChild(n, visit);
    };
    visit(c);
    return calls;
}

function literalKeys(e: ts.Expression): string[] | string {
    if (!ts.isObjectLiteralExpression(e)) return `not an object literal: ${e.getText()}`;
    const keys: string[] = [];
    for (const p of e.properties) {
        if ((ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && p.name) keys.push(nameOf(p.name));
        else return `a spread or method in registerOutputs: ${p.getText()}`;
    }
    return keys;
}

describe("component shape (JSDoc and registerOutputs)", () => {
    const all = components();

    it("finds the program's components", () => {
        const names = all.map((c) => c.name);
        for (const expected of [
            "ClusterServices",
            "HostDns",
            "Nat64Gateway",
            "Nat64Cleanup",
            "PublicService",
            "KubernetesCluster",
            "NodeKubernetes",
            "ClusterPki",
            "HcloudHosts",
            "Mesh",
            "NodeNetwork",
        ]) {
            assert.ok(names.includes(expected), `${expected} not found among ${names.join(", ")}`);
        }
    });

    for (const c of all) {
        describe(`${c.name} (${c.file})`, () => {
            it("documents every public readonly field", () => {
                const missing = publicFields(c.node)
                    .filter((f) => !hasJsDoc(f))
                    .map((f) => nameOf(f.name));
                assert.deepEqual(missing, [], `${c.name}: public fields without a JSDoc comment`);
            });

            it("documents every property of its Args", () => {
                const args = argsInterface(c);
                assert.ok(args, `${c.name}: no Args interface for the constructor's \`args\` in ${c.file}`);
                const missing = args.members.filter((m) => !hasJsDoc(m)).map((m) => (m.name ? nameOf(m.name) : m.getText()));
                assert.deepEqual(missing, [], `${args.name.text}: properties without a JSDoc comment`);
            });

            it("registers exactly its public fields as outputs", () => {
                const calls = registerOutputsCalls(c.node);
                assert.equal(calls.length, 1, `${c.name}: ${calls.length} registerOutputs calls`);
                assert.equal(calls[0].arguments.length, 1, `${c.name}: registerOutputs without an object`);
                const keys = literalKeys(calls[0].arguments[0]);
                assert.ok(Array.isArray(keys), `${c.name}: ${keys}`);
                assert.deepEqual(
                    [...keys].sort(),
                    publicFields(c.node)
                        .map((f) => nameOf(f.name))
                        .sort(),
                    `${c.name}: registerOutputs keys vs public readonly fields`,
                );
            });
        });
    }
});
