// Lint that keeps the layers (docs/architecture.md): dependencies point one way,
// cli → commands → {trials, flags, search, query, format, ui, runner, view} → store,
// and pure modules (flags, search, query, format) touch neither the file system
// nor the process. Type-aware rules are left to `tsc`; this file is about shape.

import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

const NODE_IO = ["fs", "node:fs", "fs/promises", "node:fs/promises", "child_process", "node:child_process", "net", "node:net", "http", "node:http"];

/** `no-restricted-imports` patterns: a layer may not import these folders (relative paths from src/<layer>/). */
function forbid(layers, message) {
  return layers.map((layer) => ({ group: [`../${layer}/*`, `../../${layer}/*`], allowTypeImports: true, message: `${message} (${layer})` }));
}

const PURE_RULES = {
  "@typescript-eslint/no-restricted-imports": ["error", {
    paths: NODE_IO.map((name) => ({ name, message: "pure modules take data as arguments: no file system or processes here", allowTypeImports: false })),
    patterns: forbid(["store", "runner", "commands", "cli", "ui", "view", "trials", "backends", "sdk"], "pure modules import only pure modules"),
  }],
  "no-restricted-globals": ["error", { name: "process", message: "pure modules take clock, environment and randomness as arguments" }],
};

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "runs-fixtures/**", "coverage/**", "src/sdk/python/**", "src/runner/python/**"] },
  {
    files: ["src/**/*.ts", "src/**/*.tsx"],
    extends: [tseslint.configs.recommended, importX.flatConfigs.typescript],
    plugins: { "import-x": importX },
    settings: { "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })] },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  { files: ["src/flags/**", "src/search/**", "src/query/**", "src/format/**"], rules: PURE_RULES },
  {
    files: ["src/store/**"],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", { patterns: forbid(["flags", "search", "query", "format", "runner", "commands", "cli", "ui", "view", "trials", "backends"], "the store is the bottom layer") }] },
  },
  {
    files: ["src/runner/**"],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", { patterns: forbid(["commands", "cli", "ui", "view", "trials"], "the runner starts processes; it does not know commands or searches") }] },
  },
  {
    files: ["src/trials/**", "src/backends/**"],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", { patterns: forbid(["commands", "cli", "ui", "view"], "the rules of a search live below the commands") }] },
  },
  {
    files: ["src/ui/**"],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", { patterns: forbid(["commands", "cli", "runner"], "ui components receive data and callbacks") }] },
  },
  {
    files: ["src/view/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        patterns: [
          ...forbid(["commands", "cli", "ui", "trials"], "the web view reads through store and query only"),
          // runner/paths.ts only finds g's own files (the page's bundle); nothing else of the runner.
          { group: ["../runner/*", "!../runner/paths.js"], allowTypeImports: true, message: "the web view starts no processes (runner)" },
        ],
      }],
    },
  },
  {
    files: ["src/view/app/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        paths: NODE_IO.map((name) => ({ name, message: "browser code", allowTypeImports: false })),
        patterns: forbid(["store", "runner", "commands", "cli", "ui", "trials", "sdk"], "browser code imports only view/api and pure modules"),
      }],
      "no-restricted-globals": ["error", { name: "process", message: "browser code" }],
    },
  },
  {
    files: ["src/commands/**"],
    rules: { "@typescript-eslint/no-restricted-imports": ["error", { patterns: forbid(["cli"], "commands do not import the cli") }] },
  },
  {
    files: ["src/sdk/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        patterns: [
          ...forbid(["commands", "cli", "ui", "view", "runner"], "the SDK is a library users import"),
          // The Optimizer runs the ask/tell session g ask-tell serves (optimizer registry and proposers,
          // no processes or store); nothing else of the trials layer.
          { group: ["../trials/*", "!../trials/ask-tell-session.js"], allowTypeImports: true, message: "the SDK is a library users import (trials)" },
        ],
      }],
    },
  },
);
