import tsParser from "@typescript-eslint/parser";
import tsPlugin from "@typescript-eslint/eslint-plugin";
import globals from "globals";

/** Layering rules (docs/architecture.md#where-things-happen): data flows one way; only lib/k8s talks to the API server. */
const noIo = [
  "node:fs",
  "node:net",
  "node:http",
  "node:https",
  "node:child_process",
  "fs",
  "net",
  "http",
  "https",
  "child_process",
];
const testing = "**/testing/**";
const noFramework = ["pepr", "kubernetes-fluent-client", "@kubernetes/client-node"];

export default [
  { ignores: ["**/node_modules", "dist/**", ".cluster/**", "bench/results/**"] },
  {
    files: ["**/*.ts"],
    languageOptions: {
      parser: tsParser,
      parserOptions: { sourceType: "module" },
      globals: { ...globals.node },
    },
    plugins: { "@typescript-eslint": tsPlugin },
    rules: {
      ...tsPlugin.configs.recommended.rules,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // Test doubles (lib/testing) serve specs only: no shipped code may lean on them.
    files: ["**/*.ts"],
    ignores: ["**/*.spec.ts", "lib/testing/**", "e2e/**", "bench/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [testing] }],
    },
  },
  {
    files: ["lib/core/**/*.ts", "lib/schemas/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [...noIo, ...noFramework],
          patterns: ["**/k8s/**", "**/agent/**", "winston", "prom-client", testing],
        },
      ],
    },
  },
  {
    files: ["cni/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: {
      // The plugin starts on every ADD: only lib/core's dependency-free address parser may come in.
      "no-restricted-imports": [
        "error",
        {
          paths: noFramework,
          patterns: ["**/k8s/**", "**/agent/**", "**/core/**", "!**/core/address.js", testing],
        },
      ],
    },
  },
];
