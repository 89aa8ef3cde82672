// @pulumi/pulumi stamps every promise it makes with `new Error().stack` (debuggablePromise), only
// to print it when PULUMI_DEBUG_PROMISE_LEAKS is set. Capturing and source-mapping those stacks
// was most of a mocked program run, so here debuggablePromise runs with no stack frames; every
// other error keeps its full, source-mapped stack. With PULUMI_DEBUG_PROMISE_LEAKS set nothing
// changes, so the leak report stays readable. Like pulumiMocks.ts this reaches into the runtime's
// private modules; the pinned @pulumi/pulumi keeps them stable (its modules call this export
// through the module object, so replacing it reaches every caller).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
    debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
};

if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    const stamped = debuggable.debuggablePromise;
    debuggable.debuggablePromise = (p, ctx) => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return stamped(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
}

export {};
