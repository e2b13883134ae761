import type { IncomingMessage } from "node:http";
import https from "node:https";
import { ServerClock } from "../core/base/server-clock.js";
import { ApiActivity, kindOfPath } from "./api-activity.js";
import { loadCredentials, type Credentials, type TlsOptions } from "./kubeconfig.js";
import { K8sError, k8sErrorFromStatus, toK8sError } from "./k8s-error.js";
import { localClock } from "./local-clock.js";

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
  /**
   * Total deadline of the request in ms, from the call until the last byte of the answer
   * (default DEFAULT_REQUEST_TIMEOUT_MS). Past it the connection is destroyed and the call fails
   * with a K8sError of code `timeout`: a silent server cannot hold a caller for good.
   */
  timeoutMs?: number;
}

export interface StreamOptions {
  /** Deadline in ms until the answer's status line and headers arrive (default as requests). */
  openTimeoutMs?: number;
  /**
   * Longest silence in ms (no byte: no event, no bookmark) before the watch is taken for a dead
   * connection, destroyed and failed with code `timeout` and reason WATCH_IDLE. Unset: no bound.
   */
  idleMs?: number;
  /** Called when the server answered 2xx: the watch is established. */
  onOpen?: () => void;
}

/** The K8sError reason of a watch dropped for silence (code `timeout`). */
export const WATCH_IDLE = "WatchIdle";

/** Long enough for a LIST page of thousands of objects on a loaded apiserver, short enough to notice a dead one. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * TCP keepalive on every socket: the kernel starts probing a connection idle this long, so one
 * whose peer vanished (half-open) is eventually closed by the kernel, watches included. With the
 * kernel's default probe count that takes minutes; the free-socket limit below, the request
 * deadlines and the watch liveness bound act first.
 */
const TCP_KEEPALIVE_MS = 15_000;

/**
 * A pooled connection unused this long is closed rather than kept: one that went dead while
 * idle (a path that drops packets, a frozen proxy) would otherwise be handed to the next request
 * and cost it its whole deadline. Sockets carrying a request or a watch are not affected.
 */
const FREE_SOCKET_IDLE_MS = 15_000;

export type PatchType = "merge" | "json" | "strategic" | "apply";

const patchContentType: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
};

type Opened = { status: number; res: IncomingMessage };

/**
 * What the rest of the code asks of the API server. Production code depends on this, not on the
 * HTTPS client, so unit specs can run it against lib/testing/memory-api.ts; the real API server's
 * behaviour is proven by the e2e suites against e2e/cluster.
 */
export interface KubeApi {
  /** In-flight requests and watch liveness, for the metrics. */
  readonly activity: ApiActivity;
  /** The API server's clock: deadlines stamped by the control plane are judged by it. */
  readonly clock: ServerClock;
  request<T = unknown>(method: string, path: string, opts?: RequestOptions): Promise<T>;
  get<T = unknown>(path: string, query?: RequestOptions["query"]): Promise<T>;
  create<T = unknown>(path: string, body: unknown, query?: RequestOptions["query"]): Promise<T>;
  replace<T = unknown>(path: string, body: unknown): Promise<T>;
  patch<T = unknown>(
    path: string,
    body: unknown,
    type?: PatchType,
    query?: RequestOptions["query"],
  ): Promise<T>;
  delete<T = unknown>(path: string, body?: unknown): Promise<T>;
  stream(
    path: string,
    query: RequestOptions["query"],
    onEvent: (ev: WatchEvent) => void,
    signal: AbortSignal,
    opts?: StreamOptions,
  ): Promise<void>;
}

export class ApiClient implements KubeApi {
  readonly server: URL;
  /** In-flight requests and watch liveness, for the metrics (lib/k8s/api-activity-metrics.ts). */
  readonly activity = new ApiActivity();
  /** The API server's clock, from the `Date` header of every answer: deadlines are judged by it. */
  readonly clock = new ServerClock(localClock());
  readonly #credentials: Credentials;
  readonly #agent: https.Agent;
  #tls: TlsOptions = {};
  #tlsLoadedAt = 0;

  private constructor(credentials: Credentials, maxSockets: number) {
    this.server = credentials.server;
    this.#credentials = credentials;
    this.#agent = new https.Agent({
      keepAlive: true,
      keepAliveMsecs: TCP_KEEPALIVE_MS,
      timeout: FREE_SOCKET_IDLE_MS,
      maxSockets,
      maxFreeSockets: maxSockets,
    });
  }

  /** From a kubeconfig path, else $KUBECONFIG, ~/.kube/config or the in-cluster service account. */
  static fromKubeconfig(path?: string, maxSockets = 64): ApiClient {
    try {
      return ApiClient.fromCredentials(loadCredentials(path), maxSockets);
    } catch (e) {
      throw new K8sError("other", 0, "", (e as Error).message);
    }
  }

  /** From credentials already loaded (e.g. with a chosen context); see kubeconfig.ts. */
  static fromCredentials(credentials: Credentials, maxSockets = 64): ApiClient {
    return new ApiClient(credentials, maxSockets);
  }

  /** Projected service-account tokens rotate, so credentials are re-read once a minute. */
  async #tlsOptions(): Promise<TlsOptions> {
    if (Date.now() - this.#tlsLoadedAt > 60_000) {
      this.#tls = await this.#credentials.options();
      this.#tlsLoadedAt = Date.now();
    }
    return this.#tls;
  }

  /** Sends the request; resolves at the response headers. An abort of `signal` destroys it at any stage. */
  async #open(
    method: string,
    path: string,
    opts: RequestOptions,
    signal: AbortSignal,
  ): Promise<Opened> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const tls = await this.#tlsOptions();
    const payload =
      opts.body === undefined
        ? undefined
        : typeof opts.body === "string"
          ? opts.body
          : JSON.stringify(opts.body);
    const headers: Record<string, string> = {
      Accept: "application/json",
      ...((tls.headers as Record<string, string>) ?? {}),
    };
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
          ...(tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
          ...(tls.servername ? { servername: tls.servername } : {}),
        },
        res => {
          // From here on the caller owns the response and destroys it on abort.
          signal.removeEventListener("abort", abort);
          this.clock.sample(res.headers.date, this.clock.localNow());
          resolve({ status: res.statusCode ?? 0, res });
        },
      );
      const abort = () =>
        req.destroy(
          Object.assign(new Error(`${method} ${url.pathname} aborted`), { code: "ABORT_ERR" }),
        );
      if (signal.aborted) abort();
      else signal.addEventListener("abort", abort, { once: true });
      req.on("socket", s => s.setKeepAlive(true, TCP_KEEPALIVE_MS));
      req.on("error", e => {
        signal.removeEventListener("abort", abort);
        reject(e);
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** One request; resolves with the parsed body, rejects with a K8sError (code `timeout` past the deadline). */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const context = `${method} ${path}`;
    const deadlineMs = checkedMs(
      "timeoutMs",
      opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      context,
    );
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), deadlineMs);
    const done = this.activity.begin();
    let res: IncomingMessage | undefined;
    const destroyRes = () => res?.destroy();
    ac.signal.addEventListener("abort", destroyRes, { once: true });
    try {
      const opened = await this.#open(method, path, opts, ac.signal);
      res = opened.res;
      if (ac.signal.aborted) res.destroy();
      const text = await readBody(res);
      if (ac.signal.aborted) throw timeoutError(context, deadlineMs);
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // Non-JSON bodies (plain-text health checks) stay strings.
      }
      if (opened.status >= 200 && opened.status < 300) return body as T;
      throw k8sErrorFromStatus(opened.status, body, context);
    } catch (e) {
      if (ac.signal.aborted) throw timeoutError(context, deadlineMs);
      throw toK8sError(e, context);
    } finally {
      clearTimeout(timer);
      ac.signal.removeEventListener("abort", destroyRes);
      done();
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

  patch<T = unknown>(
    path: string,
    body: unknown,
    type: PatchType = "merge",
    query?: RequestOptions["query"],
  ): Promise<T> {
    return this.request<T>("PATCH", path, { body, contentType: patchContentType[type], query });
  }

  delete<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("DELETE", path, { body });
  }

  /**
   * Streams a watch: resolves when the server ends the stream, rejects with a K8sError on a
   * non-2xx answer, on a deadline (`timeout`: no headers within `openTimeoutMs`, or silence
   * longer than `idleMs`) or a broken connection. Each line is one event; `onEvent` is called in
   * order. An abort of `signal` ends the stream quietly.
   */
  async stream(
    path: string,
    query: RequestOptions["query"],
    onEvent: (ev: WatchEvent) => void,
    signal: AbortSignal,
    opts: StreamOptions = {},
  ): Promise<void> {
    const context = `WATCH ${path}`;
    const openMs = checkedMs(
      "openTimeoutMs",
      opts.openTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      context,
    );
    const idleMs =
      opts.idleMs === undefined ? undefined : checkedMs("idleMs", opts.idleMs, context);
    const ac = new AbortController();
    let expired: { why: string; reason: string } | undefined;
    const expire = (why: string, reason: string) => () => {
      expired = { why, reason };
      ac.abort();
    };
    let timer = setTimeout(expire(`no answer within ${openMs} ms`, "ClientTimeout"), openMs);
    const stop = () => ac.abort();
    signal.addEventListener("abort", stop, { once: true });
    let res: IncomingMessage | undefined;
    const destroyRes = () => res?.destroy();
    ac.signal.addEventListener("abort", destroyRes, { once: true });
    const failure = (e: unknown) =>
      expired
        ? new K8sError(
            "timeout",
            0,
            expired.reason,
            `${context}: ${expired.why}; connection dropped`,
          )
        : toK8sError(e, context);
    try {
      const done = this.activity.begin();
      try {
        const opened = await this.#open("GET", path, { query }, ac.signal);
        res = opened.res;
        if (opened.status < 200 || opened.status >= 300) {
          const text = await readBody(res);
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // keep text
          }
          throw k8sErrorFromStatus(opened.status, body, context);
        }
      } catch (e) {
        if (signal.aborted) return;
        throw failure(e);
      } finally {
        done();
      }
      opts.onOpen?.();
      const arm = () => {
        clearTimeout(timer);
        if (idleMs !== undefined)
          timer = setTimeout(expire(`no event or bookmark for ${idleMs} ms`, WATCH_IDLE), idleMs);
      };
      arm();
      try {
        // Lines are cut from the bytes and decoded one by one: every agent reads every claim
        // event of the cluster, so this loop runs N-agents times per allocation (see
        // docs/benchmarks.md, "where the time goes").
        let rest: Buffer | undefined;
        const kind = kindOfPath(path);
        for await (const chunk of res) {
          arm();
          const data: Buffer = rest ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
          let start = 0;
          let nl: number;
          let events = 0;
          while ((nl = data.indexOf(NEWLINE, start)) >= 0) {
            const line = data.toString("utf8", start, nl);
            if (line.trim()) {
              events++;
              onEvent(JSON.parse(line) as WatchEvent);
            }
            start = nl + 1;
          }
          this.activity.received(kind, (chunk as Buffer).length, events);
          rest = start < data.length ? data.subarray(start) : undefined;
        }
      } catch (e) {
        if (!signal.aborted) throw failure(e);
      }
      if (expired && !signal.aborted) throw failure(undefined);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", stop);
      ac.signal.removeEventListener("abort", destroyRes);
    }
  }

  close(): void {
    this.#agent.destroy();
  }
}

const NEWLINE = 0x0a;

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  // A connection that closed mid-body ends the iteration quietly on some Node versions.
  if (!res.complete)
    throw Object.assign(new Error("connection closed before the answer was complete"), {
      code: "ECONNRESET",
    });
  return Buffer.concat(chunks).toString("utf8");
}

function timeoutError(context: string, ms: number): K8sError {
  return new K8sError(
    "timeout",
    0,
    "ClientTimeout",
    `${context}: no complete answer within ${ms} ms; connection dropped`,
  );
}

/** A deadline given by a caller: a mistake here would silently mean "wait forever" or "fail at once". */
function checkedMs(field: string, ms: number, context: string): number {
  if (!Number.isFinite(ms) || ms <= 0 || ms > 2 ** 31 - 1)
    throw new K8sError(
      "invalid",
      0,
      "",
      `${context}: ${field} must be a number of ms in (0, 2147483647], got ${ms}`,
    );
  return ms;
}

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
