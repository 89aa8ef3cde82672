// Lint: the recommended JS and TypeScript rules, nothing stylistic (formatting is Prettier's), and
// Pulumi's rules against an Output in a template literal (it would print "Calling [toString] on an
// [Output<T>] is not supported", not the value; pulumi.interpolate or apply is the way). Those
// rules need types, so they run with the TypeScript project on the code that builds resources.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "scratch/", "**/*.js", "!eslint.config.mjs"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
        },
    },
    {
        files: ["index.ts", "components/**/*.ts", "lab/engine/**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
        },
    },
);
