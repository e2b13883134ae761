/**
 * A TCP proxy between the components under test (agents, the Pepr module) and kube-apiserver,
 * which a test can switch into black-hole mode: connections are still accepted, but nothing is
 * forwarded either way, and connections open at that moment freeze too (their bytes are read
 * and dropped, and the server closing its end is not passed on). That is what a client sees when
 * the path to the API server silently dies: no error, no reset, no answer. Switched back, new
 * connections are forwarded again; frozen ones stay dead until the client drops them, which is
 * exactly what the client must notice by itself (docs/concepts/fault-model.md).
 *
 * Tests, kubectl and the simulated kubelets keep the direct admin connection; only the
 * kubeconfigs handed to the components point here (`viaFaultProxy`). TLS passes through
 * untouched: the apiserver's certificate names 127.0.0.1, whatever the port.
 *
 * Run as its own process by the cluster harness (`startFaultProxy`), controlled over HTTP on
 * loopback: `POST /blackhole`, `POST /forward`, `GET /status`.
 */
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { startDaemon, type Daemon } from "./daemon.js";
import { freePort } from "./free-port.js";
import { clusterDir } from "./paths.js";
import { probe, waitUntil } from "./readiness.js";

export interface FaultProxyInfo {
  /** Where components connect (https://127.0.0.1:<port>). */
  port: number;
  /** The control channel (http://127.0.0.1:<controlPort>). */
  controlPort: number;
  /** The apiserver port it forwards to. */
  targetPort: number;
}

export interface FaultProxyStatus {
  mode: "forward" | "blackhole";
  /** Connections being forwarded now. */
  forwarding: number;
  /** Connections accepted or frozen in black-hole mode that the client has not closed yet. */
  held: number;
  accepted: number;
}

const dir = path.join(clusterDir, "fault-proxy");
const infoFile = path.join(dir, "info.json");

/** Starts the proxy in forward mode in front of the apiserver on `targetPort`; the caller registers the daemon. */
export async function startFaultProxy(targetPort: number): Promise<Daemon> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort(36443);
  const controlPort = await freePort(36543);
  const d = startDaemon(
    "fault-proxy",
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), `--listen=${port}`, `--target=${targetPort}`, `--control=${controlPort}`],
    { NODE_NO_WARNINGS: "1" },
    "fault-proxy.ts",
  );
  await waitUntil("fault-proxy: /status", async () => (await probe(`http://127.0.0.1:${controlPort}/status`)).status === 200, 30_000, d);
  const info: FaultProxyInfo = { port, controlPort, targetPort };
  fs.writeFileSync(infoFile, JSON.stringify(info));
  return d;
}

export function faultProxyInfo(): FaultProxyInfo {
  try {
    return JSON.parse(fs.readFileSync(infoFile, "utf8")) as FaultProxyInfo;
  } catch {
    throw new Error(`no fault proxy recorded in ${infoFile}: the cluster was not brought up by this checkout's cluster:up`);
  }
}

/**
 * A copy of `kubeconfigFile` whose clusters that point at the apiserver point at the proxy
 * instead; relative file references are made absolute so the copy works from its own directory.
 * Returns the copy's path. Any other server in the file is left alone; a file with no cluster
 * on the apiserver is refused, since routing it through the proxy would silently do nothing.
 */
export function viaFaultProxy(kubeconfigFile: string): string {
  const info = faultProxyInfo();
  const base = path.dirname(path.resolve(kubeconfigFile));
  const doc = parse(fs.readFileSync(kubeconfigFile, "utf8")) as {
    clusters?: { cluster?: Record<string, unknown> }[];
    users?: { user?: Record<string, unknown> }[];
  };
  const abs = (o: Record<string, unknown> | undefined, keys: string[]) => {
    for (const k of keys) if (o && typeof o[k] === "string" && o[k] && !path.isAbsolute(o[k] as string)) o[k] = path.join(base, o[k] as string);
  };
  let rewritten = 0;
  for (const c of doc.clusters ?? []) {
    abs(c.cluster, ["certificate-authority"]);
    const server = typeof c.cluster?.server === "string" ? new URL(c.cluster.server) : undefined;
    if (server && ["127.0.0.1", "localhost"].includes(server.hostname) && Number(server.port) === info.targetPort) {
      server.port = String(info.port);
      c.cluster!.server = server.origin;
      rewritten++;
    }
  }
  for (const u of doc.users ?? []) abs(u.user, ["client-certificate", "client-key", "tokenFile"]);
  if (!rewritten) throw new Error(`viaFaultProxy: no cluster in ${kubeconfigFile} has server https://127.0.0.1:${info.targetPort}`);
  const out = path.join(dir, path.relative(clusterDir, path.resolve(kubeconfigFile)).replace(/[/\\]/g, "_") + ".via-proxy");
  fs.writeFileSync(out, stringify(doc), { mode: 0o600 });
  return out;
}

async function control(method: "GET" | "POST", route: string): Promise<FaultProxyStatus> {
  const { controlPort } = faultProxyInfo();
  const res = await fetch(`http://127.0.0.1:${controlPort}${route}`, { method, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`fault proxy ${method} ${route}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as FaultProxyStatus;
}

/** Black-hole mode on (`true`) or back to forwarding (`false`); resolves with the proxy's status. */
export function setBlackhole(on: boolean): Promise<FaultProxyStatus> {
  return control("POST", on ? "/blackhole" : "/forward");
}

export function faultProxyStatus(): Promise<FaultProxyStatus> {
  return control("GET", "/status");
}

/** The proxy process itself. */
function serve(listen: number, target: number, controlPort: number): void {
  let mode: FaultProxyStatus["mode"] = "forward";
  let accepted = 0;
  const forwarding = new Set<() => void>();
  const held = new Set<net.Socket>();
  const drop = () => undefined;
  const hold = (s: net.Socket) => {
    held.add(s);
    s.on("data", drop); // read and dropped: the client's writes succeed, nothing ever comes back
    s.on("close", () => held.delete(s));
  };

  net
    .createServer((client) => {
      accepted++;
      client.on("error", drop);
      if (mode === "blackhole") return hold(client);
      const upstream = net.connect(target, "127.0.0.1");
      upstream.on("error", drop);
      let frozen = false;
      const freeze = () => {
        frozen = true;
        forwarding.delete(freeze);
        client.unpipe(upstream);
        upstream.unpipe(client);
        upstream.on("data", drop);
        hold(client);
      };
      forwarding.add(freeze);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("close", () => {
        forwarding.delete(freeze);
        upstream.destroy();
      });
      // A frozen path does not carry the server's close either.
      upstream.on("close", () => {
        if (!frozen) client.destroy();
      });
    })
    .listen(listen, "127.0.0.1");

  const status = (): FaultProxyStatus => ({ mode, forwarding: forwarding.size, held: held.size, accepted });
  http
    .createServer((req, res) => {
      const route = `${req.method} ${req.url}`;
      if (route === "POST /blackhole") {
        mode = "blackhole";
        for (const freeze of [...forwarding]) freeze();
      } else if (route === "POST /forward") mode = "forward";
      else if (route !== "GET /status") return void res.writeHead(404).end(`unknown route ${route}`);
      process.stdout.write(`${new Date().toISOString()} ${route} -> ${JSON.stringify(status())}\n`);
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(status()));
    })
    .listen(controlPort, "127.0.0.1");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const v = Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1]);
    if (!Number.isInteger(v) || v <= 0 || v > 65535) throw new Error(`fault-proxy: --${name} must be a TCP port, got ${v}`);
    return v;
  };
  serve(arg("listen"), arg("target"), arg("control"));
}

