// Reading what the mocked program registered (pulumiMocks.ts): a resource by name, and values the
// mocks wrap as secrets ({ [SECRET_SIG]: ..., value }).
import { strict as assert } from "assert";
import { RecordedResource, SECRET_SIG } from "./pulumiMocks";

/** The resource of that name; fails the test if the program declared none. */
export function resourceNamed(rs: readonly RecordedResource[], name: string): RecordedResource {
    const r = rs.find((x) => x.name === name);
    assert.ok(r, `resource ${name} was not declared`);
    return r;
}

export function isSecret(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && SECRET_SIG in v;
}

/** The value inside a secret wrapper, or the value itself. */
export function unwrapSecret<T = unknown>(v: unknown): T {
    return (isSecret(v) ? v.value : v) as T;
}

/** Every string in a value, with whether it sits under a secret wrapper. */
export function stringsOf(value: unknown, secret = false, out: { text: string; secret: boolean }[] = []) {
    if (typeof value === "string") out.push({ text: value, secret });
    else if (Array.isArray(value)) value.forEach((v) => stringsOf(v, secret, out));
    else if (value && typeof value === "object") {
        const s = secret || isSecret(value);
        Object.values(value).forEach((v) => stringsOf(v, s, out));
    }
    return out;
}
