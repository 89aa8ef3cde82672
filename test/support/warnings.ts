// What a program run warned about: pulumi.log.warn under mocks (no engine) writes
// `warning: [runtime] …` to console.warn.
export async function capturingWarnings<T>(fn: () => Promise<T>): Promise<{ value: T; warnings: string[] }> {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => {
        warnings.push(args.map(String).join(" "));
    };
    try {
        return { value: await fn(), warnings };
    } finally {
        console.warn = original;
    }
}
