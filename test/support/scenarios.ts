// Scenarios that mostly wait (scripted delays, timeouts of a few seconds) need not wait in turn:
// a `before` hook starts them all at once and each test awaits and checks its own result. Each
// scenario must stand alone (its own scratch dir, namespace, ports).

export class Scenarios {
    private readonly defined: (() => Promise<unknown>)[] = [];

    /** Defines a scenario; the returned function starts it (once) and gives its result. */
    add<T>(body: () => Promise<T>): () => Promise<T> {
        let run: Promise<T> | undefined;
        const result = () => {
            if (!run) {
                run = body();
                // Handled here so a scenario failing before its test awaits it is not an unhandled
                // rejection; the test that awaits it still gets the error.
                run.catch(() => undefined);
            }
            return run;
        };
        this.defined.push(result);
        return result;
    }

    /** Starts every scenario not started yet (for a `before` hook). */
    startAll(): void {
        for (const start of this.defined) void start();
    }
}
