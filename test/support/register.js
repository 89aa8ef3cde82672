// Mocha's TypeScript loader: ts-node with SWC as its transpiler (transpile only; type checking is
// `npm run typecheck`'s). Every parallel worker transpiles what it loads: TypeScript's own
// transpiler spent about two seconds of each worker's start on it.
require("ts-node").register({ swc: true });
