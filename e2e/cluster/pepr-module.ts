import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { K8sError } from "../../lib/k8s/k8s-error.js";
import { startDaemon, type Daemon } from "./daemon.js";
import { freePort } from "./free-port.js";
import { paths, repoRoot } from "./paths.js";
import { probe, waitUntil } from "./readiness.js";
import { confPath } from "./spiderpool-install.js";
import { viaFaultProxy } from "./fault-proxy.js";
import { peprKubeconfig } from "./identities.js";
import { splitWorkloadWebhook } from "../../scripts/workload-webhook.js";
import pkg from "../../package.json";

const pki = (f: string) => path.join(paths.pki, f);

/**
 * The PEPR_* settings the module's Deployments get from package.json's `pepr.env`, given to the
 * host processes too, so that they meet an API outage as the in-cluster pods do
 * (docs/usage/install.md, "The Pepr module's watch settings").
 */
export const peprEnv: Record<string, string> = Object.fromEntries(
  Object.entries(pkg.pepr.env as Record<string, string>).filter(([k]) => k.startsWith("PEPR_")),
);

export interface PeprProcesses {
  admission: Daemon;
  watcher: Daemon;
  admissionPort: number;
  apiPath: string;
}

/**
 * Runs the Pepr module the way its two Deployments run it (admission, and a single watcher),
 * as local processes from source, with webhooks registered at `https://localhost:<port>` and a
 * serving certificate from the cluster's CA, so kube-apiserver really calls them.
 */
export async function startPeprModule(
  api: ApiClient,
  ports: { webhook: number },
): Promise<PeprProcesses> {
  await ensurePeprPrerequisites(api);
  const apiPath = crypto.randomBytes(32).toString("hex");
  const watcherPort = await freePort(ports.webhook + 1);
  const metricsPort = await freePort(24721);
  const common = {
    ...peprEnv,
    PEPR_API_PATH: apiPath,
    SSL_CERT_PATH: pki("webhook.crt"),
    SSL_KEY_PATH: pki("webhook.key"),
    KUBECONFIG: viaFaultProxy(peprKubeconfig()),
    SPIDERPOOL_CONFIG_PATH: confPath,
    LOG_LEVEL: process.env.SPIDERPOOL_LOG_LEVEL ?? "info",
    NODE_NO_WARNINGS: "1",
  };
  const entry = path.join(repoRoot, "pepr.ts");
  const admission = startPeprAdmission(ports.webhook, apiPath);
  const watcher = startDaemon(
    "pepr-watcher",
    process.execPath,
    ["--import", "tsx", entry, "--role=watcher"],
    {
      ...common,
      PORT: String(watcherPort),
      PEPR_WATCH_MODE: "true",
      SPIDERPOOL_METRIC_HTTP_PORT: String(metricsPort),
      SPIDERPOOL_OPS_ADDRESS: "127.0.0.1",
    },
    "--role=watcher",
  );
  for (const [d, port] of [
    [admission, ports.webhook],
    [watcher, watcherPort],
  ] as const) {
    await waitUntil(
      `${d.name}: /healthz`,
      async () => (await probe(`https://localhost:${port}/healthz`, pki("ca.crt"))).status === 200,
      90_000,
      d,
    );
  }
  await registerWebhooks(api, ports.webhook, apiPath);
  return {
    admission,
    watcher: { ...watcher, metricsPort } as Daemon,
    admissionPort: ports.webhook,
    apiPath,
  };
}

/**
 * The admission process alone, serving the registered webhooks at `port` under `apiPath`; used
 * at cluster start and to bring it back after a test stopped it. The record carries `apiPath`.
 */
export function startPeprAdmission(port: number, apiPath: string): Daemon & { apiPath: string } {
  const env = {
    ...peprEnv,
    PEPR_API_PATH: apiPath,
    SSL_CERT_PATH: pki("webhook.crt"),
    SSL_KEY_PATH: pki("webhook.key"),
    KUBECONFIG: viaFaultProxy(peprKubeconfig()),
    SPIDERPOOL_CONFIG_PATH: confPath,
    LOG_LEVEL: process.env.SPIDERPOOL_LOG_LEVEL ?? "info",
    NODE_NO_WARNINGS: "1",
    PORT: String(port),
  };
  const d = startDaemon(
    "pepr-admission",
    process.execPath,
    ["--import", "tsx", path.join(repoRoot, "pepr.ts"), "--role=admission"],
    env,
    "--role=admission",
  );
  return { ...d, apiPath };
}

/** Resolves once the admission process at `port` answers its health check. */
export function admissionReady(d: Daemon, port: number): Promise<void> {
  return waitUntil(
    `${d.name}: /healthz`,
    async () => (await probe(`https://localhost:${port}/healthz`, pki("ca.crt"))).status === 200,
    90_000,
    d,
  );
}

/** Pepr binds its routes only after it has its store: the namespace and the PeprStore CRD. */
async function ensurePeprPrerequisites(api: ApiClient): Promise<void> {
  const ignoreExists = (e: unknown) => {
    if (!(e instanceof K8sError && e.code === "already_exists")) throw e;
  };
  await api
    .create("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "pepr-system" },
    })
    .catch(ignoreExists);
  await api
    .create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "peprstores.pepr.dev" },
      spec: {
        group: "pepr.dev",
        scope: "Namespaced",
        names: { plural: "peprstores", singular: "peprstore", kind: "PeprStore" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: "object",
                properties: { data: { type: "object", additionalProperties: { type: "string" } } },
              },
            },
          },
        ],
      },
    })
    .catch(ignoreExists);
  await waitUntil(
    "CRD peprstores.pepr.dev: Established",
    async () => {
      const c = await api.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/peprstores.pepr.dev",
      );
      return !!c.status?.conditions?.some(x => x.type === "Established" && x.status === "True");
    },
    30_000,
  );
}

/**
 * The webhook configurations `pepr build` would emit for our bindings, pointed at localhost.
 * Rules come from the capability's bindings, as Pepr derives them.
 */
export async function registerWebhooks(
  api: ApiClient,
  port: number,
  apiPath: string,
): Promise<void> {
  process.env.LOG_LEVEL ??= "warn"; // Pepr logs every binding at info when the capability loads
  const { Spiderpool } = await import("../../capabilities/spiderpool.js");
  const caBundle = fs.readFileSync(pki("ca.crt")).toString("base64");
  const ops = (e: string) =>
    e === "CREATEORUPDATE" ? ["CREATE", "UPDATE"] : e === "*" ? ["*"] : [e];
  const rulesFor = (
    pick: (b: { isMutate?: boolean; isValidate?: boolean }) => boolean | undefined,
  ) => {
    const byResource = new Map<
      string,
      { apiGroups: string[]; apiVersions: string[]; resources: string[]; operations: Set<string> }
    >();
    for (const b of Spiderpool.bindings.filter(pick)) {
      const k = `${b.kind.group}/${b.kind.version}/${b.kind.plural}`;
      const r = byResource.get(k) ?? {
        apiGroups: [b.kind.group],
        apiVersions: [b.kind.version ?? "v1"],
        resources: [b.kind.plural ?? ""],
        operations: new Set<string>(),
      };
      ops(b.event).forEach(o => r.operations.add(o));
      byResource.set(k, r);
    }
    return [...byResource.values()].map(r => ({
      ...r,
      operations: [...r.operations].sort(),
      scope: "*",
    }));
  };
  const webhook = (kind: "mutate" | "validate") => ({
    name: `pepr-spiderpool.pepr.dev`,
    clientConfig: { url: `https://localhost:${port}/${kind}/${apiPath}`, caBundle },
    rules: rulesFor(b => (kind === "mutate" ? b.isMutate : b.isValidate)),
    failurePolicy: "Fail",
    matchPolicy: "Equivalent",
    sideEffects: "None",
    timeoutSeconds: 10,
    admissionReviewVersions: ["v1", "v1beta1"],
    namespaceSelector: {
      matchExpressions: [
        {
          key: "kubernetes.io/metadata.name",
          operator: "NotIn",
          values: ["kube-system", "pepr-system", "kube-node-lease"],
        },
      ],
    },
  });
  for (const [kind, path] of [
    ["mutate", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"],
    ["validate", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"],
  ] as const) {
    // As `npm run build` / `npm run deploy` leave it: the workload rules in a fail-open entry.
    const body = splitWorkloadWebhook({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: kind === "mutate" ? "MutatingWebhookConfiguration" : "ValidatingWebhookConfiguration",
      metadata: { name: "pepr-spiderpool" },
      webhooks: [
        { ...webhook(kind), ...(kind === "mutate" ? { reinvocationPolicy: "Never" } : {}) },
      ],
    });
    await api.delete(`${path}/pepr-spiderpool`).catch(() => undefined);
    await api.create(path, body);
  }
}
