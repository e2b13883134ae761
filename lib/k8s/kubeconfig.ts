/**
 * Where the API server is and how to authenticate, from a kubeconfig or the in-cluster service
 * account, found the way `kubectl` and @kubernetes/client-node's `loadFromDefault` find it.
 *
 * Why not KubeConfig from @kubernetes/client-node for everything: importing it evaluates the whole
 * generated API (about 75 MiB of RSS per process), which the per-node agent would pay on every
 * node for a few lines of YAML. Server, CA, client certificate and bearer tokens (inline or
 * file, re-read on every refresh so projected tokens rotate) are read here; a user entry that
 * needs anything else (`exec`, `auth-provider`, basic auth) loads KubeConfig on first use.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseYaml } from "yaml";

/** What a request needs to reach and authenticate to the API server. */
export interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  headers?: Record<string, string>;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface Credentials {
  readonly server: URL;
  /** The context's `namespace`, which kubectl uses when no `-n` is given. */
  readonly namespace?: string;
  /** Fresh options (files read again): the caller decides how long to keep them. */
  options(): Promise<TlsOptions>;
}

interface ClusterEntry {
  server?: string;
  "certificate-authority"?: string;
  "certificate-authority-data"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "tls-server-name"?: string;
}

interface UserEntry {
  token?: string;
  tokenFile?: string;
  "client-certificate"?: string;
  "client-certificate-data"?: string;
  "client-key"?: string;
  "client-key-data"?: string;
  as?: string;
  exec?: unknown;
  "auth-provider"?: unknown;
  username?: string;
  password?: string;
}

interface Named<T> {
  name: string;
  value: T;
  /** Directory of the file the entry came from: relative paths are relative to it. */
  dir: string;
}

const SA_ROOT = "/var/run/secrets/kubernetes.io/serviceaccount";

/** A kubeconfig that cannot be used, with the reason as a code (the CLI maps it to its exit status). */
export class KubeconfigError extends Error {
  constructor(
    readonly code: "no_kubeconfig" | "unreadable" | "context_not_found" | "incomplete",
    message: string,
  ) {
    super(message);
    this.name = "KubeconfigError";
  }
}

export interface CredentialOptions {
  /** The context to use instead of `current-context`, as `kubectl --context`. */
  readonly context?: string;
}

/**
 * Credentials from `file`, else from $KUBECONFIG (a `:`-separated list, merged with the first
 * occurrence of each name winning), else ~/.kube/config, else the in-cluster service account.
 * Throws with the file and field when a kubeconfig cannot be used.
 */
export function loadCredentials(
  file?: string,
  env: NodeJS.ProcessEnv = process.env,
  opts: CredentialOptions = {},
): Credentials {
  if (file) return fromFiles([file], () => ({ file }), opts.context);
  const list = (env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
  if (list.length) return fromFiles(list, () => ({}), opts.context);
  const home = path.join(env.HOME ?? os.homedir(), ".kube", "config");
  if (fs.existsSync(home)) return fromFiles([home], () => ({ file: home }), opts.context);
  if (opts.context !== undefined)
    throw new KubeconfigError(
      "no_kubeconfig",
      `context ${JSON.stringify(opts.context)}: no kubeconfig to find it in (neither a file nor $KUBECONFIG nor ~/.kube/config)`,
    );
  if (fs.existsSync(`${SA_ROOT}/token`)) return inCluster(env);
  throw new KubeconfigError(
    "no_kubeconfig",
    "no kubeconfig: neither a file nor $KUBECONFIG nor ~/.kube/config nor an in-cluster service account token",
  );
}

function inCluster(env: NodeJS.ProcessEnv): Credentials {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port)
    throw new Error(
      "in-cluster credentials: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set",
    );
  const server = new URL(`https://${host.includes(":") ? `[${host}]` : host}:${port}`);
  return {
    server,
    options: async () => ({
      ca: fs.readFileSync(`${SA_ROOT}/ca.crt`),
      headers: { Authorization: `Bearer ${fs.readFileSync(`${SA_ROOT}/token`, "utf8").trim()}` },
    }),
  };
}

function fromFiles(
  files: string[],
  fallbackSource: () => { file?: string },
  wanted?: string,
): Credentials {
  const clusters: Named<ClusterEntry>[] = [];
  const users: Named<UserEntry>[] = [];
  const contexts: Named<{ cluster?: string; user?: string; namespace?: string }>[] = [];
  let current: string | undefined;
  for (const f of files) {
    let doc: Record<string, unknown>;
    try {
      doc = (parseYaml(fs.readFileSync(f, "utf8")) ?? {}) as Record<string, unknown>;
    } catch (e) {
      throw new KubeconfigError(
        "unreadable",
        `kubeconfig ${f}: ${(e as Error).message.split("\n")[0]}`,
      );
    }
    const dir = path.dirname(path.resolve(f));
    const take = <T>(key: string, inner: string, into: Named<T>[]) => {
      for (const item of (doc[key] ?? []) as { name?: string; [k: string]: unknown }[]) {
        if (item?.name && !into.some(x => x.name === item.name))
          into.push({ name: item.name, value: (item[inner] ?? {}) as T, dir });
      }
    };
    take("clusters", "cluster", clusters);
    take("users", "user", users);
    take("contexts", "context", contexts);
    current ??= (doc["current-context"] as string | undefined) || undefined;
  }
  const where = files.join(path.delimiter);
  if (wanted !== undefined && !contexts.some(c => c.name === wanted))
    throw new KubeconfigError(
      "context_not_found",
      `context ${JSON.stringify(wanted)} not found in kubeconfig ${where} (contexts: ${contexts.map(c => c.name).join(", ") || "none"})`,
    );
  const name = wanted ?? current;
  const context = contexts.find(c => c.name === name);
  if (!context)
    throw new KubeconfigError(
      "incomplete",
      `kubeconfig ${where}: current-context ${JSON.stringify(current ?? "")} names no context`,
    );
  const cluster = clusters.find(c => c.name === context.value.cluster);
  if (!cluster?.value.server)
    throw new KubeconfigError(
      "incomplete",
      `kubeconfig ${where}: cluster ${JSON.stringify(context.value.cluster ?? "")} of context ${context.name} has no server`,
    );
  const user = users.find(u => u.name === context.value.user) ?? {
    name: "",
    value: {},
    dir: cluster.dir,
  };
  const server = new URL(cluster.value.server);
  const namespace = context.value.namespace ? { namespace: context.value.namespace } : {};

  const u = user.value;
  if (u.exec !== undefined || u["auth-provider"] !== undefined || u.username !== undefined) {
    return {
      server,
      ...namespace,
      options: delegated({ ...fallbackSource(), context: context.name }),
    };
  }
  const read = (
    dir: string,
    file: string | undefined,
    data: string | undefined,
  ): Buffer | undefined =>
    file
      ? fs.readFileSync(path.resolve(dir, file))
      : data
        ? Buffer.from(data, "base64")
        : undefined;
  return {
    server,
    ...namespace,
    options: async () => {
      const c = cluster.value;
      const opts: TlsOptions = {};
      const ca = read(cluster.dir, c["certificate-authority"], c["certificate-authority-data"]);
      if (ca) opts.ca = ca;
      if (c["insecure-skip-tls-verify"]) opts.rejectUnauthorized = false;
      if (c["tls-server-name"]) opts.servername = c["tls-server-name"];
      const cert = read(user.dir, u["client-certificate"], u["client-certificate-data"]);
      const key = read(user.dir, u["client-key"], u["client-key-data"]);
      if (cert) opts.cert = cert;
      if (key) opts.key = key;
      const headers: Record<string, string> = {};
      const token = u.tokenFile
        ? fs.readFileSync(path.resolve(user.dir, u.tokenFile), "utf8").trim()
        : u.token;
      if (token) headers.Authorization = `Bearer ${token}`;
      if (u.as) headers["Impersonate-User"] = u.as;
      if (Object.keys(headers).length) opts.headers = headers;
      return opts;
    },
  };
}

/** Authentication plugins (exec, auth-provider) through @kubernetes/client-node, loaded on first use. */
function delegated(source: { file?: string; context: string }): () => Promise<TlsOptions> {
  let kc: { applyToHTTPSOptions(o: object): Promise<void> } | undefined;
  return async () => {
    if (!kc) {
      const { KubeConfig } = await import("@kubernetes/client-node");
      const k = new KubeConfig();
      if (source.file) k.loadFromFile(source.file);
      else k.loadFromDefault();
      k.setCurrentContext(source.context);
      kc = k;
    }
    const opts: TlsOptions & { headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(opts);
    return opts;
  };
}
