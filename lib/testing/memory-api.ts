import { randomUUID } from "node:crypto";
import { ServerClock } from "../core/base/server-clock.js";
import { ApiActivity } from "../k8s/api-activity.js";
import type {
  KubeApi,
  KubeObject,
  PatchType,
  RequestOptions,
  StreamOptions,
  WatchEvent,
} from "../k8s/api-client.js";
import { K8sError, k8sErrorFromStatus } from "../k8s/k8s-error.js";

/**
 * An in-memory API server for unit specs of I/O code, behind the same KubeApi interface as the
 * real client. It keeps the rules our code leans on: one cluster-wide resourceVersion bumped by
 * every write, preconditions on PUT, merge PATCH and DELETE (409 Conflict), 409 AlreadyExists on
 * CREATE, 404 NotFound, 422 for a failed JSON-patch `test`, 410 Gone for a LIST `continue` or a
 * WATCH resumed from a compacted resourceVersion, label and field selectors (a watch sees an
 * object that starts or stops matching as ADDED or DELETED, as the API server's does), watch
 * events delivered in order, finalizers holding a DELETE, status subresources.
 * Errors are built by k8sErrorFromStatus, so callers see the K8sError codes the real client gives.
 *
 * It is a model, not the proof: what the real API server does is shown by the e2e suites against
 * the real control plane of e2e/cluster (e2e/suites/*.e2e.ts). A spec passing here says our code
 * handles these answers, not that Kubernetes gives them.
 */
export class MemoryApi implements KubeApi {
  readonly activity = new ApiActivity();
  /** Server time: `now` (epoch ms) is what the specs move; the clock has no offset. */
  now = Date.parse("2026-01-01T00:00:00Z");
  readonly clock = new ServerClock(() => this.now);
  /** Every request as `METHOD path`, in order (watches as `WATCH path`). */
  readonly calls: string[] = [];

  #rv = 1;
  /** Events at or below this resourceVersion are gone: LIST/WATCH from an older one gets 410. */
  #compactedRv = 0;
  readonly #objects = new Map<string, KubeObject>();
  readonly #events: Emitted[] = [];
  readonly #watchers = new Set<Watcher>();
  readonly #faults: Fault[] = [];
  /** Events written while watches are held, delivered in order on release. */
  /** The newest event watchers have been given: a watch opened while they are held replays no further. */
  #deliveredRv = 0;
  #held: Emitted[] | undefined;
  /** Called after every request with its error, if any: lets a spec act at a chosen moment. */
  onAnswer: ((method: string, path: string, error?: K8sError) => void) | undefined;
  /** Resource plurals with a `/status` subresource: writes to the object leave its status alone. */
  readonly #statusSubresource: Set<string>;

  constructor(opts: { statusSubresource?: string[] } = {}) {
    this.#statusSubresource = new Set(
      opts.statusSubresource ?? [
        "pods",
        "nodes",
        "spiderippools",
        "spidersubnets",
        "spidercoordinators",
      ],
    );
  }

  /** Stores an object as if created, at once and without faults; a given `uid` is kept. Returns the stored copy. */
  seed<T extends KubeObject>(collectionPath: string, obj: T): T {
    const p = parsePath(collectionPath);
    return clone(this.#create(p, clone(obj), obj.metadata.uid)) as T;
  }

  /** Deletes at once, as another client would (finalizers ignored): for changes no caller may see in between. */
  evict(path: string): void {
    const p = parsePath(path);
    const cur = this.#objects.get(p.key);
    if (cur) this.#remove(p.collection, p.key, cur);
  }

  /** The stored object at `path`, or undefined. A copy: changing it changes nothing. */
  peek<T = KubeObject>(path: string): T | undefined {
    const o = this.#objects.get(parsePath(path).key);
    return o ? (clone(o) as T) : undefined;
  }

  /** All stored objects of a collection (all namespaces). */
  all<T = KubeObject>(collectionPath: string): T[] {
    const c = parsePath(collectionPath).collection;
    return [...this.#objects.entries()]
      .filter(([k]) => collectionOfKey(k) === c)
      .map(([, o]) => clone(o) as T);
  }

  /** Forgets the event history before now: a WATCH or a LIST `continue` from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.#compactedRv = this.#rv;
    this.#events.length = 0;
  }

  /** Watch delivery lags from now on (writes commit, watchers hear nothing) until `releaseWatches()`. */
  holdWatches(): void {
    this.#held ??= [];
  }

  /** Delivers what was held, in order, and stops holding. */
  releaseWatches(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const h of held) this.#deliver(h);
  }

  /** Ends every open watch as the server does when its timeout passes (the caller resumes). */
  endWatches(): void {
    for (const w of this.#watchers) w.end();
  }

  /**
   * The next request matching `method` and `path` (a prefix or a RegExp) fails: `error` is thrown
   * instead of running it, or with `after: true` the request is carried out and the reply lost
   * (a timeout after the write committed: a CREATE whose reply was cut).
   */
  failNext(method: string, path: string | RegExp, error: K8sError, after = false, times = 1): void {
    this.#faults.push({ method, path, error, after, times });
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
    return this.request<T>("PATCH", path, { body, contentType: type, query });
  }
  delete<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("DELETE", path, { body });
  }

  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    this.calls.push(`${method} ${path}`);
    // A real request is never answered in the same tick: keep callers honest about ordering.
    await Promise.resolve();
    const fault = this.#takeFault(method, path);
    try {
      if (fault && !fault.after) throw fault.error;
      const out = this.#serve(method, path, opts);
      if (fault) throw fault.error;
      this.onAnswer?.(method, path);
      return clone(out) as T;
    } catch (e) {
      this.onAnswer?.(method, path, e as K8sError);
      throw e;
    }
  }

  async stream(
    path: string,
    query: RequestOptions["query"],
    onEvent: (ev: WatchEvent) => void,
    signal: AbortSignal,
    opts: StreamOptions = {},
  ): Promise<void> {
    this.calls.push(`WATCH ${path}`);
    await Promise.resolve();
    const fault = this.#takeFault("WATCH", path);
    if (fault) throw fault.error;
    const p = parsePath(path);
    const from = Number(query?.resourceVersion ?? 0);
    const sel = selectorsOf(query);
    if (signal.aborted) return;
    opts.onOpen?.();
    if (from && from < this.#compactedRv) {
      // The real server answers 200 and sends the 410 as an ERROR event.
      onEvent({
        type: "ERROR",
        object: {
          metadata: { name: "" },
          kind: "Status",
          code: 410,
          reason: "Expired",
          message: `too old resource version: ${from} (${this.#compactedRv})`,
        } as WatchEvent["object"],
      });
      return;
    }
    return new Promise<void>((resolve, reject) => {
      const w: Watcher = {
        collection: p.collection,
        namespace: p.namespace,
        send: (ev, prev) => {
          const seen = selectorView(ev, prev, sel);
          if (!seen) return;
          try {
            onEvent(clone(seen));
          } catch (e) {
            // The real client fails the stream when the handler throws on a line.
            w.fail(e);
          }
        },
        end: () => finish(resolve),
        fail: e => finish(() => reject(e)),
      };
      const finish = (how: () => void) => {
        this.#watchers.delete(w);
        signal.removeEventListener("abort", stop);
        how();
      };
      const stop = () => finish(resolve);
      signal.addEventListener("abort", stop, { once: true });
      this.#watchers.add(w);
      for (const e of this.#events)
        if (
          e.rv > from &&
          e.rv <= this.#deliveredRv &&
          e.collection === p.collection &&
          (!p.namespace || e.ev.object.metadata.namespace === p.namespace)
        )
          w.send(e.ev, e.prev);
    });
  }

  #takeFault(method: string, path: string): Fault | undefined {
    const i = this.#faults.findIndex(
      f =>
        f.method === method &&
        (typeof f.path === "string" ? path.startsWith(f.path) : f.path.test(path)),
    );
    if (i < 0) return undefined;
    const f = this.#faults[i]!;
    if (--f.times <= 0) this.#faults.splice(i, 1);
    return f;
  }

  #serve(method: string, path: string, opts: RequestOptions): unknown {
    const p = parsePath(path);
    const body = opts.body as Record<string, unknown> | undefined;
    switch (method) {
      case "GET":
        return p.name ? this.#get(p, path) : this.#list(p, opts.query);
      case "POST":
        return this.#create(p, clone(body as unknown as KubeObject));
      case "PUT":
        return this.#update(
          p,
          path,
          body as unknown as KubeObject,
          p.sub === "status" ? "status" : "object",
        );
      case "PATCH":
        return this.#patch(p, path, body, opts.contentType ?? "merge");
      case "DELETE":
        return this.#delete(p, path, body);
      default:
        throw status(405, "MethodNotAllowed", `${method} ${path}`);
    }
  }

  #get(p: Parsed, path: string): KubeObject {
    const o = this.#objects.get(p.key);
    if (!o) throw status(404, "NotFound", `GET ${path}: not found`);
    return o;
  }

  /**
   * A LIST, paged by `limit`: the `continue` token names the resourceVersion the first page was
   * served at, and a token older than the compaction gets 410 Expired, as the real server does.
   * (Pages here are cut from the current objects, not a snapshot: specs page over a quiet store.)
   */
  #list(p: Parsed, query: RequestOptions["query"]): unknown {
    const sel = selectorsOf(query);
    const items = [...this.#objects.entries()]
      .filter(
        ([k, o]) =>
          collectionOfKey(k) === p.collection &&
          (!p.namespace || o.metadata.namespace === p.namespace) &&
          matches(o, sel),
      )
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
    let rv = this.#rv;
    let from = 0;
    if (query?.continue) {
      const [tokenRv, offset] = String(query.continue).split(":").map(Number);
      if (!tokenRv || tokenRv < this.#compactedRv)
        throw status(
          410,
          "Expired",
          `LIST ${p.collection}: the provided continue parameter is too old`,
        );
      rv = tokenRv;
      from = offset ?? 0;
    }
    const limit = Number(query?.limit ?? 0);
    const page = limit > 0 ? items.slice(from, from + limit) : items.slice(from);
    const more = limit > 0 && from + limit < items.length;
    return {
      metadata: {
        resourceVersion: String(rv),
        ...(more ? { continue: `${rv}:${from + limit}` } : {}),
      },
      items: page,
    };
  }

  #create(p: Parsed, obj: KubeObject, uid?: string): KubeObject {
    if (!obj?.metadata) throw status(400, "BadRequest", `POST ${p.collection}: no metadata`);
    if (!obj.metadata.name && (obj.metadata as { generateName?: string }).generateName)
      obj.metadata.name = `${(obj.metadata as { generateName?: string }).generateName}${randomUUID().slice(0, 5)}`;
    if (!obj.metadata.name)
      throw status(422, "Invalid", `POST ${p.collection}: metadata.name: Required value`);
    if (p.namespace) obj.metadata.namespace = p.namespace;
    const key = keyOf(p.collection, obj.metadata.namespace, obj.metadata.name);
    if (this.#objects.has(key))
      throw status(409, "AlreadyExists", `${p.collection} "${obj.metadata.name}" already exists`);
    obj.metadata.uid = uid ?? randomUUID();
    obj.metadata.creationTimestamp = new Date(this.now).toISOString();
    obj.metadata.generation = 1;
    return this.#store(p.collection, key, obj, "ADDED");
  }

  #update(p: Parsed, path: string, obj: KubeObject, part: "object" | "status"): KubeObject {
    const cur = this.#get(p, path);
    const want = obj.metadata?.resourceVersion;
    if (want && want !== cur.metadata.resourceVersion) throw conflict(path);
    const split = this.#statusSubresource.has(
      p.collection.slice(p.collection.lastIndexOf("/") + 1),
    );
    if (part === "status" && !split)
      throw status(404, "NotFound", `${path}: no status subresource`);
    const keepStatus = split && part === "object";
    const next = clone(
      part === "status"
        ? { ...cur, status: (obj as { status?: unknown }).status }
        : keepStatus
          ? { ...obj, status: (cur as { status?: unknown }).status }
          : obj,
    );
    next.metadata =
      part === "status"
        ? { ...cur.metadata }
        : {
            ...obj.metadata,
            uid: cur.metadata.uid,
            creationTimestamp: cur.metadata.creationTimestamp,
            deletionTimestamp: cur.metadata.deletionTimestamp,
          };
    if (
      part === "object" &&
      JSON.stringify((obj as { spec?: unknown }).spec) !==
        JSON.stringify((cur as { spec?: unknown }).spec)
    )
      next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    else next.metadata.generation = cur.metadata.generation;
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length)
      return this.#remove(p.collection, p.key, next);
    return this.#store(p.collection, p.key, next, "MODIFIED");
  }

  #patch(
    p: Parsed,
    path: string,
    body: Record<string, unknown> | undefined,
    type: string,
  ): KubeObject {
    if (type === "json")
      return this.#update(
        p,
        path,
        jsonPatch(clone(this.#get(p, path)), body as unknown as JsonPatchOp[], path),
        p.sub === "status" ? "status" : "object",
      );
    if (type !== "merge")
      throw status(
        415,
        "UnsupportedMediaType",
        `PATCH ${path}: MemoryApi models merge and JSON patches only, got ${type}`,
      );
    const cur = this.#get(p, path);
    const want = (body?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    if (want && want !== cur.metadata.resourceVersion) throw conflict(path);
    const merged = mergePatch(clone(cur), body) as KubeObject;
    merged.metadata.resourceVersion = cur.metadata.resourceVersion;
    return this.#update(p, path, merged, p.sub === "status" ? "status" : "object");
  }

  #delete(p: Parsed, path: string, body: Record<string, unknown> | undefined): KubeObject {
    const cur = this.#get(p, path);
    const pre = (body?.preconditions ?? {}) as { uid?: string; resourceVersion?: string };
    if (pre.uid && pre.uid !== cur.metadata.uid) throw conflict(path, "UID");
    if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion)
      throw conflict(path);
    if (cur.metadata.finalizers?.length) {
      if (cur.metadata.deletionTimestamp) return cur;
      const next = clone(cur);
      next.metadata.deletionTimestamp = new Date(this.now).toISOString();
      return this.#store(p.collection, p.key, next, "MODIFIED");
    }
    return this.#remove(p.collection, p.key, cur);
  }

  #store(collection: string, key: string, obj: KubeObject, type: "ADDED" | "MODIFIED"): KubeObject {
    const prev = this.#objects.get(key);
    obj.metadata.resourceVersion = String(++this.#rv);
    this.#objects.set(key, obj);
    this.#emit(collection, { type, object: obj as WatchEvent["object"] }, prev);
    return obj;
  }

  #remove(collection: string, key: string, obj: KubeObject): KubeObject {
    this.#objects.delete(key);
    const gone = clone(obj);
    gone.metadata.resourceVersion = String(++this.#rv);
    this.#emit(collection, { type: "DELETED", object: gone as WatchEvent["object"] });
    return gone;
  }

  #emit(collection: string, ev: WatchEvent, prev?: KubeObject): void {
    const e: Emitted = {
      rv: this.#rv,
      collection,
      ev: clone(ev),
      ...(prev && ev.type === "MODIFIED" ? { prev: clone(prev) } : {}),
    };
    this.#events.push(e);
    if (this.#held) this.#held.push(e);
    else this.#deliver(e);
  }

  #deliver({ collection, ev, prev }: Emitted): void {
    this.#deliveredRv = Number(ev.object.metadata.resourceVersion);
    for (const w of [...this.#watchers])
      if (
        w.collection === collection &&
        (!w.namespace || ev.object.metadata.namespace === w.namespace)
      )
        w.send(ev, prev);
  }
}

/** One write as the watches hear it; `prev` is the object a MODIFIED replaced. */
interface Emitted {
  rv: number;
  collection: string;
  ev: WatchEvent;
  prev?: KubeObject;
}

interface Watcher {
  collection: string;
  namespace?: string;
  send: (ev: WatchEvent, prev?: KubeObject) => void;
  end: () => void;
  fail: (e: unknown) => void;
}

interface Fault {
  method: string;
  path: string | RegExp;
  error: K8sError;
  after: boolean;
  times: number;
}

interface Parsed {
  /** `/api/v1/pods`, `/apis/g/v/ipclaims`: the collection across namespaces. */
  collection: string;
  namespace?: string;
  name?: string;
  sub?: string;
  key: string;
}

/** `/api/v1[/namespaces/ns]/resource[/name[/sub]]` and the same under `/apis/group/version`. */
function parsePath(path: string): Parsed {
  const segs = path.split("?")[0]!.split("/").filter(Boolean);
  const prefixLen = segs[0] === "api" ? 2 : segs[0] === "apis" ? 3 : -1;
  if (prefixLen < 0 || segs.length <= prefixLen)
    throw status(404, "NotFound", `${path}: not an API path`);
  const prefix = segs.slice(0, prefixLen).join("/");
  let rest = segs.slice(prefixLen);
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const collection = `/${prefix}/${rest[0]}`;
  const name = rest[1];
  return {
    collection,
    namespace,
    name,
    sub: rest[2],
    key: keyOf(collection, namespace, name ?? ""),
  };
}

function keyOf(collection: string, namespace: string | undefined, name: string): string {
  return `${collection}|${namespace ?? ""}|${name}`;
}

function collectionOfKey(key: string): string {
  return key.slice(0, key.indexOf("|"));
}

type Requirement = {
  key: string;
  op: "=" | "!=" | "exists" | "!exists" | "in" | "notin";
  values: string[];
};
type Selectors = { labels: Requirement[]; fields: Requirement[] };

function selectorsOf(query: RequestOptions["query"]): Selectors {
  return {
    labels: parseSelector(String(query?.labelSelector ?? "")),
    fields: parseSelector(String(query?.fieldSelector ?? "")),
  };
}

/** The label-selector grammar our code sends: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`. */
function parseSelector(s: string): Requirement[] {
  const out: Requirement[] = [];
  for (const part of s.match(/[^,(]+(\([^)]*\))?/g) ?? []) {
    const t = part.trim();
    if (!t) continue;
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t)))
      out.push({
        key: m[1]!,
        op: m[2] as "in" | "notin",
        values: m[3]!.split(",").map(v => v.trim()),
      });
    else if ((m = /^([^!=]+)!=(.*)$/.exec(t)))
      out.push({ key: m[1]!.trim(), op: "!=", values: [m[2]!.trim()] });
    else if ((m = /^([^!=]+)==?(.*)$/.exec(t)))
      out.push({ key: m[1]!.trim(), op: "=", values: [m[2]!.trim()] });
    else if (t.startsWith("!")) out.push({ key: t.slice(1).trim(), op: "!exists", values: [] });
    else out.push({ key: t, op: "exists", values: [] });
  }
  return out;
}

/**
 * The event a watch with these selectors gets, if any: an update that makes an object match is
 * ADDED, one that makes it stop matching is DELETED (carrying the object as it is now), as the
 * API server's watch cache sends them.
 */
function selectorView(ev: WatchEvent, prev: KubeObject | undefined, sel: Selectors) {
  const now = matches(ev.object, sel);
  if (ev.type !== "MODIFIED" || !prev) return now ? ev : undefined;
  const before = matches(prev, sel);
  if (now && before) return ev;
  if (now) return { ...ev, type: "ADDED" as const };
  if (before) return { ...ev, type: "DELETED" as const };
  return undefined;
}

function matches(obj: KubeObject, sel: Selectors): boolean {
  const labels = obj.metadata?.labels ?? {};
  const field = (path: string): string | undefined => {
    let v: unknown = obj;
    for (const k of path.split("."))
      v = v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
    return v === undefined ? undefined : String(v);
  };
  return (
    sel.labels.every(r => holds(r, labels[r.key])) && sel.fields.every(r => holds(r, field(r.key)))
  );
}

function holds(r: Requirement, v: string | undefined): boolean {
  switch (r.op) {
    case "=":
      return v === r.values[0];
    case "!=":
      return v !== r.values[0];
    case "exists":
      return v !== undefined;
    case "!exists":
      return v === undefined;
    case "in":
      return v !== undefined && r.values.includes(v);
    case "notin":
      return v === undefined || !r.values.includes(v);
  }
}

type JsonPatchOp = { op: "add" | "replace" | "remove" | "test"; path: string; value?: unknown };

/** RFC 6902, the operations our code sends; a failed `test` is 422 Invalid, as the real server answers. */
function jsonPatch(doc: KubeObject, ops: JsonPatchOp[], where: string): KubeObject {
  for (const op of ops) {
    const keys = op.path
      .split("/")
      .slice(1)
      .map(k => k.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = keys.pop();
    let parent: unknown = doc;
    for (const k of keys)
      parent =
        parent && typeof parent === "object" ? (parent as Record<string, unknown>)[k] : undefined;
    if (last === undefined || !parent || typeof parent !== "object")
      throw status(422, "Invalid", `PATCH ${where}: path ${op.path} does not exist`);
    const obj = parent as Record<string, unknown>;
    if (op.op === "test") {
      if (JSON.stringify(obj[last]) !== JSON.stringify(op.value))
        throw status(422, "Invalid", `PATCH ${where}: test failed at ${op.path}`);
    } else if (op.op === "remove") {
      if (!(last in obj))
        throw status(422, "Invalid", `PATCH ${where}: nothing to remove at ${op.path}`);
      if (Array.isArray(obj)) obj.splice(Number(last), 1);
      else delete obj[last];
    } else if (Array.isArray(obj) && op.op === "add")
      obj.splice(last === "-" ? obj.length : Number(last), 0, op.value);
    else obj[last] = op.value;
  }
  return doc;
}

/** RFC 7386: objects merge, null removes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === "object" && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function status(code: number, reason: string, message: string): K8sError {
  return k8sErrorFromStatus(code, { kind: "Status", code, reason, message }, "MemoryApi");
}

function conflict(path: string, what = "ResourceVersion"): K8sError {
  return status(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${path}: Precondition failed: ${what} mismatch; the object has been modified`,
  );
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
