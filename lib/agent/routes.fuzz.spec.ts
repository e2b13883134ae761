/**
 * Property: whatever method, path, query and body reach the agent's route table (the socket's
 * whole surface, docs/security.md), the router answers without throwing; a body that is not
 * valid is answered 400 naming each offending field, never 5xx, and reaches neither the
 * allocator nor the releaser; no name that is not a Kubernetes name reaches an API path. The
 * exec route runs the real plugin in-process against the same table, with hostile CNI_ARGS.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type { ApiClient } from "../k8s/api-client.js";
import { K8sError } from "../k8s/k8s-error.js";
import type { Logger } from "../logger.js";
import { isNamespaceName, isPodName } from "../schemas/kube-name.js";
import { AgentError } from "./agent-error.js";
import type { Allocator } from "./allocator.js";
import { CNI_EXEC_ROUTE, runCniExec } from "./cni-exec.js";
import { AgentMetrics } from "./metrics.js";
import type { Releaser } from "./releaser.js";
import { createRouter, type AgentAnswer, type Router } from "./routes.js";

const RUNS = 10_000;

/** A field value and whether the agent must accept it there. */
interface Field {
  readonly value: unknown;
  readonly valid: boolean;
}
const MISSING = Symbol("missing");
const ok = (...values: unknown[]) => values.map(value => ({ value, valid: true }));
const bad = (...values: unknown[]) => values.map(value => ({ value, valid: false }));
const pick = (fields: Field[]) => fc.constantFrom(...fields);

const hostileStrings = [
  "",
  " ",
  "\u0000",
  "../x",
  "a/b",
  "%2e%2e",
  "a?b=c",
  "A",
  "ñ",
  "a..b",
  "-a",
  "a-",
  "a b",
  "a\nb",
  "kube-system/secrets",
];
const NAMESPACE: Field[] = [
  ...ok("default", "kube-system", "a", "x".repeat(63), "0-9"),
  ...bad(...hostileStrings, "a.b", "x".repeat(64), "Default", 7, null, [], {}, MISSING),
];
const POD_NAME: Field[] = [
  ...ok("web-0", "a.b-c", "1", "x".repeat(253), `${"a".repeat(63)}.${"b".repeat(63)}`),
  ...bad(...hostileStrings, "..", ".a", "a.", "x".repeat(254), "Web", 7, null, {}, MISSING),
];
const NON_EMPTY: Field[] = [...ok("c0ffee", "eth0", "x"), ...bad("", 42, null, true, [], MISSING)];
const ANY_STRING: Field[] = [...ok("", "u1", "../x", "\u0000"), ...bad(1, null, false, MISSING)];
const OPT_STRING: Field[] = [...ok("/run/netns/x", "", MISSING), ...bad(1, null, [])];
const OPT_BOOL: Field[] = [...ok(true, false, MISSING), ...bad("true", 1, null)];
const OPT_POOLS: Field[] = [...ok(MISSING, [], ["p1", "p2"]), ...bad("p1", [1], null)];
const ADDRESSES: Field[] = [
  ...ok([], ["10.0.0.1/24"], ["fd00::1/64", "x"]),
  ...bad("10.0.0.1", [1], null, MISSING),
];
const ATTACHMENTS: Field[] = [
  ...ok([], [{ containerID: "c", ifname: "eth0" }]),
  ...bad([{ containerID: 1, ifname: "eth0" }], [{ containerID: "c" }], "c/eth0", null, MISSING),
];

/** Each body route: its fields and the fake call it must lead to when every field is valid. */
const BODY_ROUTES: Record<string, { call: string; fields: Record<string, Field[]> }> = {
  "POST /v1/ipam/ip": {
    call: "add",
    fields: {
      containerID: NON_EMPTY,
      ifName: NON_EMPTY,
      netNamespace: [...ok("", "/run/netns/x"), ...bad(1, null, MISSING)],
      podNamespace: NAMESPACE,
      podName: POD_NAME,
      podUID: ANY_STRING,
      defaultIPv4IPPool: OPT_POOLS,
      cleanGateway: OPT_BOOL,
    },
  },
  "DELETE /v1/ipam/ip": {
    call: "del",
    fields: {
      containerID: NON_EMPTY,
      ifName: NON_EMPTY,
      netNamespace: OPT_STRING,
      podNamespace: NAMESPACE,
      podName: POD_NAME,
      podUID: ANY_STRING,
    },
  },
  "DELETE /v1/ipam/ips": {
    call: "batchDel",
    fields: {
      containerID: NON_EMPTY,
      netNamespace: OPT_STRING,
      podNamespace: NAMESPACE,
      podName: POD_NAME,
      podUID: ANY_STRING,
      isReleaseConflictIPs: OPT_BOOL,
    },
  },
  "POST /v1/ipam/check": {
    call: "check",
    fields: {
      containerID: NON_EMPTY,
      ifName: NON_EMPTY,
      podNamespace: NAMESPACE,
      podName: POD_NAME,
      podUID: ANY_STRING,
      addresses: ADDRESSES,
    },
  },
  "POST /v1/ipam/gc": {
    call: "gc",
    fields: { networkName: OPT_STRING, validAttachments: ATTACHMENTS },
  },
};
const ROUTES = [
  ...Object.keys(BODY_ROUTES),
  "GET /v1/ipam/healthy",
  "POST /v1/ipam/ips",
  "GET /v1/workloadendpoint",
  CNI_EXEC_ROUTE,
];

/** The allocator, releaser and API server behind the routes: they succeed and record what reached them. */
function fakes() {
  const calls: { call: string; args: Record<string, unknown> }[] = [];
  const apiPaths: string[] = [];
  const record = (call: string) => async (args: Record<string, unknown>) => {
    calls.push({ call, args });
    return call === "add" ? { ips: [] } : 0;
  };
  const allocator = { add: record("add") } as unknown as Allocator;
  const releaser = {
    del: record("del"),
    batchDel: record("batchDel"),
    check: record("check"),
    gc: record("gc"),
  } as unknown as Releaser;
  const api = {
    get: async (path: string) => {
      apiPaths.push(path);
      throw new K8sError("not_found", 404, "NotFound", `${path} not found`);
    },
  } as unknown as ApiClient;
  const quiet = () => undefined;
  const log = { warn: quiet, info: quiet, debug: quiet, error: quiet } as unknown as Logger;
  return { calls, apiPaths, allocator, releaser, api, log };
}

/** Whether every namespace and name segment of an API path the agent built is a Kubernetes name. */
function pathNamesValid(path: string): boolean {
  const m = /^\/apis\/[^/]+\/[^/]+\/namespaces\/([^/]+)\/[a-z]+\/([^/]+)$/.exec(path);
  return !!m && isNamespaceName(m[1]!) && isPodName(m[2]!);
}

describe("agent routes fuzz", function () {
  this.timeout(600_000);
  let dir: string;
  let metrics: AgentMetrics;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "spiderpool-routes-fuzz-"));
    metrics = new AgentMetrics();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`answers ${RUNS} generated requests without a 5xx, refusing invalid ones before any use`, async () => {
    const bodyCase = fc.constantFrom(...Object.keys(BODY_ROUTES)).chain(route =>
      fc.record({
        kind: fc.constant("body" as const),
        route: fc.constant(route),
        // Mostly valid fields, so both outcomes are frequent.
        fields: fc.record(
          Object.fromEntries(
            Object.entries(BODY_ROUTES[route]!.fields).map(([k, pool]) => [
              k,
              fc.oneof({ weight: 6, arbitrary: pick(pool.filter(f => f.valid)) }, pick(pool)),
            ]),
          ),
        ),
        extra: fc.option(
          fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
          { nil: undefined },
        ),
      }),
    );
    const randomCase = fc.record({
      kind: fc.constant("random" as const),
      method: fc.oneof(
        fc.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH", ""),
        fc.string({ maxLength: 6 }),
      ),
      path: fc.oneof(
        {
          weight: 4,
          arbitrary: fc.constantFrom(
            ...ROUTES.map(r => r.split(" ")[1]!),
            "/v1/ipam/ip/../ips",
            "//v1/ipam/ip",
            "/V1/IPAM/IP",
            "/v1/ipam/ip/",
            "/",
            "",
          ),
        },
        fc.string({ maxLength: 30 }),
      ),
      body: fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constant("not-json" as const),
        fc.constant("too-large" as const),
      ),
    });
    const queryCase = fc.record({
      kind: fc.constant("query" as const),
      podNamespace: pick(NAMESPACE.filter(f => typeof f.value === "string" || f.value === MISSING)),
      podName: pick(POD_NAME.filter(f => typeof f.value === "string" || f.value === MISSING)),
    });
    const execCase = fc.record({
      kind: fc.constant("exec" as const),
      command: fc.constantFrom("ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION", "add", ""),
      podNamespace: pick(
        NAMESPACE.filter(f => typeof f.value === "string" && !/[;=\u0000]/.test(f.value)),
      ),
      podName: pick(
        POD_NAME.filter(f => typeof f.value === "string" && !/[;=\u0000]/.test(f.value)),
      ),
      stdin: fc.oneof(
        { weight: 4, arbitrary: fc.constant("netconf" as const) },
        fc.uint8Array({ maxLength: 40 }),
      ),
      env: fc.option(
        fc.dictionary(
          fc.oneof(fc.constantFrom("CNI_FOO", "PATH", "cni_args"), fc.string({ maxLength: 6 })),
          fc.string({ maxLength: 6 }),
          { maxKeys: 2 },
        ),
        { nil: undefined },
      ),
    });
    const request = fc.oneof(
      { weight: 6, arbitrary: bodyCase },
      { weight: 2, arbitrary: randomCase },
      { weight: 1, arbitrary: queryCase },
      { weight: 1, arbitrary: execCase },
    );

    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(request, async c => {
        const f = fakes();
        const router: Router = createRouter(
          {
            allocator: f.allocator,
            releaser: f.releaser,
            metrics,
            log: f.log,
            api: f.api,
            ready: () => true,
          },
          {
            [CNI_EXEC_ROUTE]: async req =>
              runCniExec(router, await req.body(), { logDir: dir, runDir: dir }, f.log),
          },
        );
        let method: string;
        let path: string;
        let query = new URLSearchParams();
        let body: () => Promise<unknown>;
        /** Fields that must be named in a 400; undefined when the request must be served. */
        let invalid: string[] | undefined;
        if (c.kind === "body") {
          [method, path] = c.route.split(" ") as [string, string];
          const value: Record<string, unknown> = { ...c.extra };
          for (const [k, field] of Object.entries(c.fields)) {
            if (field.value === MISSING) delete value[k];
            else value[k] = field.value;
          }
          body = () => Promise.resolve(value);
          const wrong = Object.entries(c.fields)
            .filter(([, field]) => !field.valid)
            .map(([k]) => k);
          invalid = wrong.length ? wrong : undefined;
        } else if (c.kind === "query") {
          [method, path] = ["GET", "/v1/workloadendpoint"];
          if (c.podNamespace.value !== MISSING)
            query.set("podNamespace", c.podNamespace.value as string);
          if (c.podName.value !== MISSING) query.set("podName", c.podName.value as string);
          body = () => Promise.resolve(undefined);
          const wrong = [c.podNamespace, c.podName].flatMap((field, i) =>
            field.valid ? [] : [i ? "podName" : "podNamespace"],
          );
          invalid = wrong.length ? wrong : undefined;
        } else if (c.kind === "exec") {
          [method, path] = ["POST", "/v1/cni/exec"];
          const netconf = {
            cniVersion: "1.1.0",
            name: "fuzz",
            ipam: {
              type: "spiderpool",
              log_file_path: join(dir, "plugin.log"),
              ipam_unix_socket_path: join(dir, "none.sock"),
            },
            "cni.dev/valid-attachments": [],
          };
          const stdin =
            c.stdin === "netconf" ? Buffer.from(JSON.stringify(netconf)) : Buffer.from(c.stdin);
          const env = {
            ...c.env,
            CNI_COMMAND: c.command,
            CNI_CONTAINERID: "c0ffee",
            CNI_NETNS: "/run/netns/x",
            CNI_IFNAME: "eth0",
            CNI_PATH: "/opt/cni/bin",
            CNI_ARGS: `K8S_POD_NAMESPACE=${c.podNamespace.value as string};K8S_POD_NAME=${c.podName.value as string};K8S_POD_UID=u1`,
          };
          body = () => Promise.resolve({ env, stdin: stdin.toString("base64") });
          const wrong = Object.keys(c.env ?? {}).filter(k => !/^CNI_[A-Z_]+$/.test(k));
          invalid = wrong.length ? wrong.map(k => `env.${k}`) : undefined;
        } else {
          method = c.method;
          path = c.path;
          body =
            c.body === "not-json"
              ? () =>
                  Promise.reject(
                    new AgentError("invalid_request", "request body is not JSON: Unexpected token"),
                  )
              : c.body === "too-large"
                ? () =>
                    Promise.reject(
                      new AgentError("invalid_request", "request body larger than 1048576 bytes"),
                    )
                : () => Promise.resolve(c.body);
        }

        let answer: AgentAnswer;
        try {
          answer = await router({ method, path, query, body });
        } catch (e) {
          assert.fail(`the router rejected ${method} ${path}: ${String(e)}`);
        }
        const route = `${method} ${path}`;
        seen.set(`${c.kind} ${answer.status}`, (seen.get(`${c.kind} ${answer.status}`) ?? 0) + 1);
        assert.ok(answer.status < 500, `${route} answered ${answer.status}: ${answer.text}`);
        assert.ok([200, 400, 404].includes(answer.status), `${route} answered ${answer.status}`);
        if (answer.status === 400) {
          assert.equal(answer.code, "invalid_request");
          assert.match(
            JSON.parse(answer.text) as string,
            /^(invalid request: .+: |request body |query parameter)/,
            answer.text,
          );
          assert.deepEqual(
            f.calls,
            [],
            `${route} refused with 400 but reached ${f.calls.map(x => x.call).join(", ")}`,
          );
        }
        if (invalid) {
          assert.equal(
            answer.status,
            400,
            `${route} with invalid ${invalid.join(", ")} answered ${answer.status}: ${answer.text}`,
          );
          for (const field of invalid)
            assert.ok(
              (JSON.parse(answer.text) as string).includes(field),
              `${field} not named in ${answer.text}`,
            );
        } else if (c.kind === "body") {
          assert.equal(answer.status, 200, answer.text);
          assert.deepEqual(
            f.calls.map(x => x.call),
            [BODY_ROUTES[c.route]!.call],
          );
        } else if (c.kind === "query") {
          assert.equal(answer.status, 404, answer.text);
        } else if (c.kind === "exec") {
          assert.equal(answer.status, 200, answer.text);
        }
        for (const { call, args } of f.calls) {
          if (call === "gc") continue;
          assert.ok(
            isNamespaceName(String(args.podNamespace)) && isPodName(String(args.podName)),
            `${call} reached with ${JSON.stringify(args)}`,
          );
        }
        for (const p of f.apiPaths)
          assert.ok(pathNamesValid(p), `API path built from an invalid name: ${p}`);
      }),
      { numRuns: RUNS },
    );
    // The generators must reach both outcomes of each kind, or the property says little.
    for (const k of [
      "body 200",
      "body 400",
      "random 400",
      "random 404",
      "query 400",
      "query 404",
      "exec 200",
      "exec 400",
    ])
      assert.ok((seen.get(k) ?? 0) > 0, `never saw ${k}: ${JSON.stringify([...seen])}`);
  });
});
