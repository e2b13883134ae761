import https from "node:https";
import { loadCredentials, type Credentials, type TlsOptions } from "./kubeconfig.js";
import { K8sError, k8sErrorFromStatus, toK8sError } from "./k8s-error.js";

/**
 * A small REST client over one keep-alive HTTPS agent.
 *
 * Why not kubernetes-fluent-client on hot paths: KFC re-reads the kubeconfig and builds a new
 * undici dispatcher (a new TLS handshake) for every request, which costs milliseconds of CPU per
 * call. The allocation path makes a fixed handful of calls per ADD and must not pay that; see
 * docs/adr/0001-api-client.md. Credentials come from kubeconfig.ts, which reads kubeconfig files
 * and the in-cluster service account itself and leaves only auth plugins to @kubernetes/client-node.
 */
export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  timeoutMs?: number;
}

export type PatchType = "merge" | "json" | "strategic" | "apply";

const patchContentType: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
};

export class ApiClient {
  readonly server: URL;
  readonly #credentials: Credentials;
  readonly #agent: https.Agent;
  #tls: TlsOptions = {};
  #tlsLoadedAt = 0;

  private constructor(credentials: Credentials, maxSockets: number) {
    this.server = credentials.server;
    this.#credentials = credentials;
    this.#agent = new https.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** From a kubeconfig path, else $KUBECONFIG, ~/.kube/config or the in-cluster service account. */
  static fromKubeconfig(path?: string, maxSockets = 64): ApiClient {
    try {
      return new ApiClient(loadCredentials(path), maxSockets);
    } catch (e) {
      throw new K8sError("other", 0, "", (e as Error).message);
    }
  }

  /** Projected service-account tokens rotate, so credentials are re-read once a minute. */
  async #tlsOptions(): Promise<TlsOptions> {
    if (Date.now() - this.#tlsLoadedAt > 60_000) {
      this.#tls = await this.#credentials.options();
      this.#tlsLoadedAt = Date.now();
    }
    return this.#tls;
  }

  async #open(method: string, path: string, opts: RequestOptions): Promise<{ status: number; res: import("node:http").IncomingMessage }> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const tls = await this.#tlsOptions();
    const payload = opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Accept: "application/json", ...((tls.headers as Record<string, string>) ?? {}) };
    if (payload !== undefined) {
      headers["Content-Type"] = opts.contentType ?? "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent: this.#agent,
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          headers,
          timeout: opts.timeoutMs,
          ...(tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
          ...(tls.servername ? { servername: tls.servername } : {}),
        },
        (res) => resolve({ status: res.statusCode ?? 0, res }),
      );
      req.on("timeout", () => req.destroy(Object.assign(new Error(`${method} ${url.pathname} timed out`), { code: "ETIMEDOUT" })));
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** One request; resolves with the parsed body, rejects with a K8sError. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const context = `${method} ${path}`;
    try {
      const { status, res } = await this.#open(method, path, opts);
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // Non-JSON bodies (plain-text health checks) stay strings.
      }
      if (status >= 200 && status < 300) return body as T;
      throw k8sErrorFromStatus(status, body, context);
    } catch (e) {
      throw toK8sError(e, context);
    }
  }

  get<T = unknown>(path: string, query?: RequestOptions["query"]): Promise<T> {
    return this.request<T>("GET", path, { query });
  }

  create<T = unknown>(path: string, body: unknown, query?: RequestOptions["query"]): Promise<T> {
    return this.request<T>("POST", path, { body, query });
  }

  replace<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PUT", path, { body });
  }

  patch<T = unknown>(path: string, body: unknown, type: PatchType = "merge", query?: RequestOptions["query"]): Promise<T> {
    return this.request<T>("PATCH", path, { body, contentType: patchContentType[type], query });
  }

  delete<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("DELETE", path, { body });
  }

  /**
   * Streams a watch: resolves when the server ends the stream, rejects with a K8sError on a
   * non-2xx answer. Each line is one event; `onEvent` is called in order.
   */
  async stream(path: string, query: RequestOptions["query"], onEvent: (ev: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    const context = `WATCH ${path}`;
    let res: import("node:http").IncomingMessage;
    try {
      const opened = await this.#open("GET", path, { query });
      res = opened.res;
      if (opened.status < 200 || opened.status >= 300) {
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        let body: unknown = Buffer.concat(chunks).toString("utf8");
        try {
          body = JSON.parse(body as string);
        } catch {
          // keep text
        }
        throw k8sErrorFromStatus(opened.status, body, context);
      }
    } catch (e) {
      throw toK8sError(e, context);
    }
    const abort = () => res.destroy();
    signal.addEventListener("abort", abort, { once: true });
    try {
      // Lines are cut from the bytes and decoded one by one: every agent reads every claim
      // event of the cluster, so this loop runs N-agents times per allocation (see
      // docs/benchmarks.md, "where the time goes").
      let rest: Buffer | undefined;
      for await (const chunk of res) {
        const data: Buffer = rest ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
        let start = 0;
        let nl: number;
        while ((nl = data.indexOf(NEWLINE, start)) >= 0) {
          const line = data.toString("utf8", start, nl);
          if (line.trim()) onEvent(JSON.parse(line) as WatchEvent);
          start = nl + 1;
        }
        rest = start < data.length ? data.subarray(start) : undefined;
      }
    } catch (e) {
      if (!signal.aborted) throw toK8sError(e, context);
    } finally {
      signal.removeEventListener("abort", abort);
    }
  }

  close(): void {
    this.#agent.destroy();
  }
}

const NEWLINE = 0x0a;

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

/** The fields every Kubernetes object has and that this code reads generically. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    creationTimestamp?: string;
    ownerReferences?: OwnerReference[];
  };
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeList<T> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

/** An object as the API server returns it: schema type plus guaranteed metadata. */
export type Stored<T> = T & { metadata: KubeObject["metadata"] };
