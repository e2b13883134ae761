/**
 * The identities our components run as in the local cluster, as on a real one: the agent as
 * ServiceAccount kube-system/spiderpool-agent, the Pepr module as pepr-system/pepr-spiderpool,
 * each with the RBAC of the manifests (scripts/rbac-manifests.ts) and nothing else. A rule
 * missing there is a 403 in the component's log and a failing suite, not a green run under the
 * admin identity (docs/security.md). The kubelet stand-in and the tests themselves stay admin.
 */
import fs from "node:fs";
import path from "node:path";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { K8sError } from "../../lib/k8s/k8s-error.js";
import {
  agentRbacDocs,
  PEPR_NAMESPACE,
  peprName,
  peprRbacDocs,
  type RbacDoc,
} from "../../scripts/rbac-manifests.js";
import { clusterDir, paths } from "./paths.js";
import { StepError } from "./step-error.js";

const dir = path.join(clusterDir, "identities");
const AGENT_SA = { namespace: "kube-system", name: "spiderpool-agent" };

/**
 * Tokens are asked for a month: longer than any test run or benchmark. kube-apiserver grants
 * less only with --service-account-max-token-expiration, which control-plane.ts does not set;
 * a shorter grant than a day fails cluster up instead of expiring in the middle of a run.
 */
const TOKEN_SECONDS = 30 * 24 * 3600;
const TOKEN_MIN_SECONDS = 24 * 3600;

/** Kubeconfig of the agent's ServiceAccount, written at cluster up. */
export function agentKubeconfig(): string {
  return existing(path.join(dir, "spiderpool-agent.kubeconfig"));
}

/** Kubeconfig of the Pepr module's ServiceAccount (admission and watcher), written at cluster up. */
export function peprKubeconfig(): string {
  return existing(path.join(dir, "pepr-spiderpool.kubeconfig"));
}

function existing(file: string): string {
  if (!fs.existsSync(file))
    throw new Error(`${file} is missing: the cluster writes it at up (installIdentities)`);
  return file;
}

/**
 * Applies both identities' ServiceAccounts, roles and bindings and writes one kubeconfig per
 * identity: token authentication, the cluster's CA and server taken from the admin kubeconfig.
 */
export async function installIdentities(api: ApiClient): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await api
    .create("/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: PEPR_NAMESPACE },
    })
    .catch(e => {
      if (!(e instanceof K8sError && e.code === "already_exists")) throw e;
    });
  for (const doc of [...agentRbacDocs(), ...peprRbacDocs()]) await apply(api, doc);
  const cluster = adminCluster();
  writeTokenKubeconfig(
    path.join(dir, "spiderpool-agent.kubeconfig"),
    cluster,
    AGENT_SA.name,
    await requestToken(api, AGENT_SA.namespace, AGENT_SA.name),
  );
  const pepr = peprName();
  writeTokenKubeconfig(
    path.join(dir, "pepr-spiderpool.kubeconfig"),
    cluster,
    pepr,
    await requestToken(api, PEPR_NAMESPACE, pepr),
  );
}

function objectPath(doc: RbacDoc): string {
  const name = encodeURIComponent(doc.metadata.name);
  const ns = doc.metadata.namespace;
  switch (doc.kind) {
    case "ServiceAccount":
      return `/api/v1/namespaces/${ns}/serviceaccounts/${name}`;
    case "ClusterRole":
      return `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`;
    case "ClusterRoleBinding":
      return `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${name}`;
    case "Role":
      return `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/${name}`;
    case "RoleBinding":
      return `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/${name}`;
  }
}

/** Server-side apply, so a second up (or install-rbac.e2e.ts applying the same) is harmless. */
async function apply(api: ApiClient, doc: RbacDoc): Promise<void> {
  await api.patch(objectPath(doc), doc, "apply", { fieldManager: "e2e-cluster", force: "true" });
}

async function requestToken(api: ApiClient, namespace: string, name: string): Promise<string> {
  const r = await api.create<{ status?: { token?: string; expirationTimestamp?: string } }>(
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: TOKEN_SECONDS },
    },
  );
  const token = r.status?.token;
  const expires = Date.parse(r.status?.expirationTimestamp ?? "");
  if (!token)
    throw new StepError("identities", `TokenRequest for ${namespace}/${name} returned no token`);
  if (!(expires - Date.now() >= TOKEN_MIN_SECONDS * 1000)) {
    throw new StepError(
      "identities",
      `the token of ${namespace}/${name} expires at ${r.status?.expirationTimestamp}: shorter than a day, a long run would lose its identity`,
    );
  }
  return token;
}

interface ClusterEntry {
  server: string;
  "certificate-authority": string;
}

/** Server and CA of the admin kubeconfig (pki.ts writes them as two plain lines). */
function adminCluster(): ClusterEntry {
  const text = fs.readFileSync(paths.kubeconfig, "utf8");
  const server = /^\s*server:\s*(\S+)\s*$/m.exec(text)?.[1];
  const ca = /^\s*certificate-authority:\s*(\S+)\s*$/m.exec(text)?.[1];
  if (!server || !ca)
    throw new StepError("identities", `${paths.kubeconfig} has no server or certificate-authority`);
  return { server, "certificate-authority": ca };
}

function writeTokenKubeconfig(
  file: string,
  cluster: ClusterEntry,
  user: string,
  token: string,
): void {
  const yaml = `apiVersion: v1
kind: Config
clusters:
- name: spiderpool-e2e
  cluster:
    server: ${cluster.server}
    certificate-authority: ${cluster["certificate-authority"]}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: spiderpool-e2e
  context:
    cluster: spiderpool-e2e
    user: ${user}
current-context: spiderpool-e2e
`;
  fs.writeFileSync(file, yaml, { mode: 0o600 });
}
