import tsParser from "@typescript-eslint/parser";
import tsPlugin from "@typescript-eslint/eslint-plugin";
import globals from "globals";

/**
 * Layering rules (docs/architecture.md#where-things-happen): imports point down only; only lib/k8s
 * talks to the API server; the two runtimes (lib/agent, lib/watcher) never import each other.
 * Import cycles are caught by scripts/import-graph.spec.ts (no eslint-plugin-import here).
 *
 * Flat config does not merge `no-restricted-imports` across blocks (the last block that matches a
 * file wins), so each block below lists every restriction of its folder.
 */
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
const noFramework = ["pepr", "kubernetes-fluent-client", "@kubernetes/client-node"];

/** A restricted group of import specifiers, with the reason ESLint prints. */
const deny = (message, ...group) => ({ group, message });
const testing = deny("test doubles (lib/testing) serve specs only", "**/testing/**");
const agent = deny("only the agent's own files import lib/agent", "**/agent/**");
const watcher = deny("only the watcher's own files import lib/watcher", "**/watcher/**");
const k8s = deny("pure code does no API I/O: only adapters import lib/k8s", "**/k8s/**");
const capabilities = deny(
  "capabilities/ is the Pepr module's top: nothing imports it",
  "**/capabilities/**",
);
/** The plugin library and its packaging run on a node without the API client, runtimes or doubles. */
const apartFromRuntimes = [k8s, agent, watcher, capabilities, testing];
const cniPlugin = deny(
  "the CNI plugin library is the agent's and cni/main.ts's",
  "**/cni-plugin/**",
);
const heavy = deny(
  "pure code stays free of logging and metrics libraries",
  "winston",
  "prom-client",
);

/**
 * lib/core's wings, bottom first. A wing may import the wings listed for it (and base/), never
 * one above it or a sibling not listed; see each wing's README.md.
 */
const WINGS = {
  base: [],
  net: ["base"],
  compat: ["base"],
  multus: ["base", "compat"],
  lifecycle: ["base", "net"],
  selection: ["base", "net", "compat"],
  "auto-pool": ["base", "net", "compat", "selection"],
  admission: ["base", "net", "compat", "selection", "auto-pool", "multus"],
};
const wingBlocks = Object.entries(WINGS).map(([wing, allowed]) => ({
  files: [`lib/core/${wing}/**/*.ts`],
  ignores: ["**/*.spec.ts"],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        paths: [...noIo, ...noFramework],
        patterns: [
          k8s,
          agent,
          watcher,
          capabilities,
          cniPlugin,
          heavy,
          testing,
          ...Object.keys(WINGS)
            .filter(other => other !== wing && !allowed.includes(other))
            .map(other =>
              deny(
                `lib/core/${wing} may import only ${["itself", ...allowed].join(", ")} of lib/core`,
                `**/${other}/**`,
              ),
            ),
        ],
      },
    ],
  },
}));

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
    // lib/logger.ts, lib/log-schema.ts: shared by every runtime, so they import none of them.
    files: ["lib/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [agent, watcher, capabilities, cniPlugin, testing] },
      ],
    },
  },
  ...wingBlocks,
  {
    files: ["lib/schemas/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [...noIo, ...noFramework],
          patterns: [k8s, agent, watcher, capabilities, cniPlugin, heavy, testing],
        },
      ],
    },
  },
  {
    // The API adapters serve both runtimes and the module, so they import none of them.
    files: ["lib/k8s/**/*.ts"],
    ignores: ["**/*.spec.ts", "**/*.spec-support.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [agent, watcher, capabilities, cniPlugin, testing] },
      ],
    },
  },
  {
    files: ["lib/agent/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [watcher, capabilities, testing] }],
    },
  },
  {
    files: ["lib/watcher/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [agent, capabilities, cniPlugin, testing] }],
    },
  },
  {
    // The capability's Watch handlers hand events to the watcher through its inbox, the one
    // door between them (docs/architecture.md, "What reacts to each kind").
    files: ["capabilities/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            agent,
            deny(
              "capabilities/ reaches lib/watcher only through its inbox (event-inbox.js)",
              "**/watcher/**",
              "!**/watcher/event-inbox.js",
            ),
            cniPlugin,
            testing,
          ],
        },
      ],
    },
  },
  {
    // The CLI reads the cluster and reuses pure core; it runs neither runtime.
    files: ["cli/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [agent, watcher, capabilities, cniPlugin, testing] },
      ],
    },
  },
  {
    files: ["scripts/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [agent, watcher, capabilities, cniPlugin, testing] },
      ],
    },
  },
  {
    // The plugin starts on every ADD: of lib/core only the dependency-free address parser comes in.
    files: ["lib/cni-plugin/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: noFramework,
          patterns: [
            ...apartFromRuntimes,
            deny(
              "the plugin loads only lib/core/net/address.js of lib/core",
              ...Object.keys(WINGS)
                .filter(wing => wing !== "net")
                .map(wing => `**/core/${wing}/**`),
              "**/core/net/*",
              "!**/core/net/address.js",
            ),
          ],
        },
      ],
    },
  },
  {
    // cni/ packages the executables: main.ts wires lib/cni-plugin to the process, build*.ts bundle it.
    files: ["cni/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: noFramework,
          patterns: [
            ...apartFromRuntimes,
            deny("cni/ packages lib/cni-plugin; the plugin reaches lib/core itself", "**/core/**"),
          ],
        },
      ],
    },
  },
];
