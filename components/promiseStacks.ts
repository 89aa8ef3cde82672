// @pulumi/pulumi stamps every promise it makes (about 50 per resource: each output property gets
// four) with `new Error().stack` (runtime/debuggable.ts), only to print it if the program exits
// with promises pending and PULUMI_DEBUG_PROMISE_LEAKS is set. Reading `.stack` formats the frames
// at once, through the source maps ts-node and the language host install: at 300 nodes that was
// most of the program's run, under `pulumi up` as under the mocks. So debuggablePromise runs with
// no stack frames here. Nothing else changes: the leak check still counts pending promises and
// fails the run, every other error keeps its full stack, and with PULUMI_DEBUG_PROMISE_LEAKS set
// this does nothing, so the leak report keeps its stacks. Imported first by index.ts.
//
// This reaches into a private module of the pinned @pulumi/pulumi; its modules call
// debuggablePromise through the module object, so replacing the export reaches every caller. If a
// later version moves it, nothing is replaced (and the program is only slower).

type Debuggable = { debuggablePromise?: <T>(p: Promise<T>, ctx: unknown) => Promise<T> };

/** Makes `debuggable.debuggablePromise` capture no frames unless leak debugging is on; true if it did. */
export function dropPromiseStacks(debuggable: Debuggable, env: NodeJS.ProcessEnv): boolean {
    const stamped = debuggable.debuggablePromise;
    if (env.PULUMI_DEBUG_PROMISE_LEAKS || typeof stamped !== "function") return false;
    debuggable.debuggablePromise = (p, ctx) => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return stamped(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
    return true;
}

let debuggable: Debuggable = {};
try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    debuggable = require("@pulumi/pulumi/runtime/debuggable") as Debuggable;
} catch {
    // Moved in a later @pulumi/pulumi: leave the stacks as they are.
}
/** Whether this process's promises are stamped without frames. */
export const promiseStacksDropped = dropPromiseStacks(debuggable, process.env);
