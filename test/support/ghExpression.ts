// A GitHub Actions expression evaluator for the subset the workflows' `if:` conditions use:
// context paths (github.event.pull_request.head.repo.full_name, vars.X), 'string' literals,
// true/false/null, ==, !=, !, &&, || and parentheses. As on GitHub: strings compare without regard
// to case, a missing context value is null (and null == '' is false), && and || return an operand.
// Anything else throws, so a condition the tests cannot read fails them instead of passing.

export type Context = Record<string, unknown>;
type Value = string | number | boolean | null;

const TOKEN = /\s*(?:('(?:[^']|'')*')|(==|!=|&&|\|\||!|\(|\)|,)|([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*))/y;

function tokenize(text: string): string[] {
    const tokens: string[] = [];
    TOKEN.lastIndex = 0;
    while (TOKEN.lastIndex < text.length) {
        if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
        const at = TOKEN.lastIndex;
        const m = TOKEN.exec(text);
        if (!m) throw new Error(`expression: cannot read "${text.slice(at)}" in ${text}`);
        tokens.push(m[1] ?? m[2] ?? m[3]);
    }
    return tokens;
}

const truthy = (v: Value) => v !== null && v !== false && v !== 0 && v !== "";

function equal(a: Value, b: Value): boolean {
    if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
    return a === b;
}

function lookup(path: string, context: Context): Value {
    let v: unknown = context;
    for (const part of path.split(".")) {
        if (v === null || typeof v !== "object") return null;
        v = (v as Record<string, unknown>)[part];
    }
    if (v === undefined) return null;
    if (typeof v === "object" && v !== null) throw new Error(`expression: ${path} is an object`);
    return v as Value;
}

export function evaluate(expression: string, context: Context): Value {
    const text = expression.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1");
    const tokens = tokenize(text);
    let i = 0;
    const peek = () => tokens[i];
    const take = (t?: string) => {
        const got = tokens[i++];
        if (t !== undefined && got !== t) throw new Error(`expression: expected ${t}, got ${got ?? "the end"} in ${text}`);
        return got;
    };
    const primary = (): Value => {
        const t = take();
        if (t === undefined) throw new Error(`expression: ends early: ${text}`);
        if (t === "(") {
            const v = or();
            take(")");
            return v;
        }
        if (t === "!") return !truthy(primary());
        if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
        if (t === "true" || t === "false") return t === "true";
        if (t === "null") return null;
        if (/^[A-Za-z_]/.test(t)) {
            if (peek() === "(") throw new Error(`expression: functions are not supported here (${t})`);
            return lookup(t, context);
        }
        throw new Error(`expression: unexpected ${t} in ${text}`);
    };
    const comparison = (): Value => {
        let v = primary();
        while (peek() === "==" || peek() === "!=") {
            const op = take();
            const r = primary();
            v = op === "==" ? equal(v, r) : !equal(v, r);
        }
        return v;
    };
    const and = (): Value => {
        let v = comparison();
        while (peek() === "&&") {
            take();
            const r = comparison();
            v = truthy(v) ? r : v;
        }
        return v;
    };
    const or = (): Value => {
        let v = and();
        while (peek() === "||") {
            take();
            const r = and();
            v = truthy(v) ? v : r;
        }
        return v;
    };
    const result = or();
    if (i !== tokens.length) throw new Error(`expression: trailing ${tokens.slice(i).join(" ")} in ${text}`);
    return result;
}

/** Whether a job with this `if:` runs (no `if:` runs, unless a needed job failed). */
export function runs(condition: unknown, context: Context): boolean {
    if (condition === undefined) return true;
    if (typeof condition === "boolean") return condition;
    return truthy(evaluate(String(condition), context));
}
