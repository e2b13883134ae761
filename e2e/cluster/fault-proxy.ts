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
 * Lost replies (`POST /lose-create-replies?count=N`): the proxy forwards the next N CREATEs of an
 * IPClaim to the API server and cuts the client's connection when the answer comes back, so the
 * claim is committed and the client never learns it (docs/adr/0002-address-claims.md). Seeing
 * the request needs the plain HTTP, so connections accepted while this mode is armed are not
 * passed through but terminated: the proxy answers TLS with the apiserver's own certificate and
 * opens its own TLS connection upstream with the key of the client certificate the component
 * presented (all of them live in the local cluster's PKI directory), so the API server sees the
 * same identity. Arming it drops the connections being passed through, so that every request
 * from then on goes over a connection the proxy can read. With `&lagClaimWatchMs=M`, watches of
 * IPClaims opened meanwhile get every byte M ms late: the client's cache lags the API server, as
 * it does under load, so a retry cannot count on having seen its own committed claim.
 *
 * Run as its own process by the cluster harness (`startFaultProxy`), controlled over HTTP on
 * loopback: `POST /blackhole`, `POST /forward`, `POST /lose-create-replies?count=N[&lagClaimWatchMs=M]`, `GET /status`.
 */
import fs from "node:fs";
import http from "node:http";
import crypto from "node:crypto";
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { startDaemon, type Daemon } from "./daemon.js";
import { freePort } from "./free-port.js";
import { clusterDir, paths } from "./paths.js";
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
  /** IPClaim CREATEs still to forward with their answer dropped. */
  loseCreateReplies: number;
  /** IPClaim CREATEs forwarded whose answer was dropped so far. */
  lostCreateReplies: number;
  /** Delay given to IPClaim watches opened while armed (0: none). */
  lagClaimWatchMs: number;
}

const dir = path.join(clusterDir, "fault-proxy");
const infoFile = path.join(dir, "info.json");

/** Starts the proxy in forward mode in front of the apiserver on `targetPort`; the caller registers the daemon. */
export async function startFaultProxy(targetPort: number): Promise<Daemon> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort(25443);
  const controlPort = await freePort(25543);
  const d = startDaemon(
    "fault-proxy",
    process.execPath,
    [
      "--import",
      "tsx",
      fileURLToPath(import.meta.url),
      `--listen=${port}`,
      `--target=${targetPort}`,
      `--control=${controlPort}`,
    ],
    { NODE_NO_WARNINGS: "1" },
    "fault-proxy.ts",
  );
  await waitUntil(
    "fault-proxy: /status",
    async () => (await probe(`http://127.0.0.1:${controlPort}/status`)).status === 200,
    30_000,
    d,
  );
  const info: FaultProxyInfo = { port, controlPort, targetPort };
  fs.writeFileSync(infoFile, JSON.stringify(info));
  return d;
}

export function faultProxyInfo(): FaultProxyInfo {
  try {
    return JSON.parse(fs.readFileSync(infoFile, "utf8")) as FaultProxyInfo;
  } catch {
    throw new Error(
      `no fault proxy recorded in ${infoFile}: the cluster was not brought up by this checkout's cluster:up`,
    );
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
    for (const k of keys)
      if (o && typeof o[k] === "string" && o[k] && !path.isAbsolute(o[k] as string))
        o[k] = path.join(base, o[k] as string);
  };
  let rewritten = 0;
  for (const c of doc.clusters ?? []) {
    abs(c.cluster, ["certificate-authority"]);
    const server = typeof c.cluster?.server === "string" ? new URL(c.cluster.server) : undefined;
    if (
      server &&
      ["127.0.0.1", "localhost"].includes(server.hostname) &&
      Number(server.port) === info.targetPort
    ) {
      server.port = String(info.port);
      c.cluster!.server = server.origin;
      rewritten++;
    }
  }
  for (const u of doc.users ?? []) abs(u.user, ["client-certificate", "client-key", "tokenFile"]);
  if (!rewritten)
    throw new Error(
      `viaFaultProxy: no cluster in ${kubeconfigFile} has server https://127.0.0.1:${info.targetPort}`,
    );
  const out = path.join(
    dir,
    path.relative(clusterDir, path.resolve(kubeconfigFile)).replace(/[/\\]/g, "_") + ".via-proxy",
  );
  fs.writeFileSync(out, stringify(doc), { mode: 0o600 });
  return out;
}

async function control(method: "GET" | "POST", route: string): Promise<FaultProxyStatus> {
  const { controlPort } = faultProxyInfo();
  const res = await fetch(`http://127.0.0.1:${controlPort}${route}`, {
    method,
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok)
    throw new Error(`fault proxy ${method} ${route}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as FaultProxyStatus;
}

/** Black-hole mode on (`true`) or back to forwarding (`false`); resolves with the proxy's status. */
export function setBlackhole(on: boolean): Promise<FaultProxyStatus> {
  return control("POST", on ? "/blackhole" : "/forward");
}

/** Forward the next `count` IPClaim CREATEs and cut each connection before its answer reaches the client (0 disarms). */
export function loseCreateReplies(count: number, lagClaimWatchMs = 0): Promise<FaultProxyStatus> {
  return control(
    "POST",
    `/lose-create-replies?count=${count}${lagClaimWatchMs ? `&lagClaimWatchMs=${lagClaimWatchMs}` : ""}`,
  );
}

export function faultProxyStatus(): Promise<FaultProxyStatus> {
  return control("GET", "/status");
}

/** The proxy process itself. */
function serve(listen: number, target: number, controlPort: number): void {
  let mode: FaultProxyStatus["mode"] = "forward";
  let accepted = 0;
  let loseCreates = 0;
  let lostCreates = 0;
  let lagClaimWatchMs = 0;
  const forwarding = new Set<() => void>();
  /** Connections passed through as TCP, dropped when lost-reply mode is armed. */
  const passing = new Set<net.Socket>();
  /** Lagging claim watches, cut when the mode is disarmed so that their clients resume at once. */
  const lagging = new Set<tls.TLSSocket>();
  const log = (what: string) => process.stdout.write(`${new Date().toISOString()} ${what}\n`);
  const held = new Set<net.Socket>();
  const drop = () => undefined;
  const hold = (s: net.Socket) => {
    held.add(s);
    s.on("data", drop); // read and dropped: the client's writes succeed, nothing ever comes back
    s.on("close", () => held.delete(s));
  };

  const pki = (f: string) => fs.readFileSync(path.join(paths.pki, f));
  /** Client certificates of the local cluster by fingerprint, with their keys. */
  const identities = new Map<string, { cert: Buffer; key: Buffer }>();
  const loadIdentities = () => {
    for (const f of fs.readdirSync(paths.pki).filter(x => x.endsWith(".crt") && x !== "ca.crt")) {
      const keyFile = f.replace(/\.crt$/, ".key");
      if (!fs.existsSync(path.join(paths.pki, keyFile))) continue;
      identities.set(new crypto.X509Certificate(pki(f)).fingerprint256, {
        cert: pki(f),
        key: pki(keyFile),
      });
    }
  };
  const CREATE_CLAIM = /^POST \/apis\/ipam\.pepr-spiderpool\.io\/v1alpha1\/ipclaims[? ]/m;
  const WATCH_CLAIMS =
    /^GET \/apis\/ipam\.pepr-spiderpool\.io\/v1alpha1\/ipclaims\?\S*watch=(1|true)/m;
  let terminator: tls.Server | undefined;
  /** A connection the proxy terminates: it reads the requests, and drops the answer of an armed IPClaim CREATE. */
  const intercept = (raw: net.Socket) => {
    if (!terminator) {
      loadIdentities();
      terminator = tls.createServer(
        {
          cert: pki("apiserver.crt"),
          key: pki("apiserver.key"),
          requestCert: true,
          rejectUnauthorized: false,
          ALPNProtocols: ["http/1.1"],
        },
        client => {
          client.on("error", drop);
          const id = identities.get(client.getPeerCertificate().fingerprint256 ?? "");
          const upstream = tls.connect({
            host: "127.0.0.1",
            port: target,
            ca: pki("ca.crt"),
            ...(id ?? {}),
            ALPNProtocols: ["http/1.1"],
          });
          upstream.on("error", drop);
          let frozen = false;
          let cutting = false;
          /** Delay of every answer byte on a lagging claim watch; fixed per connection so bytes stay in order. */
          let lag = 0;
          const freeze = () => {
            frozen = true;
            forwarding.delete(freeze);
            client.removeAllListeners("data");
            upstream.removeAllListeners("data");
            upstream.on("data", drop);
            client.on("data", drop);
            held.add(client);
            client.on("close", () => held.delete(client));
          };
          forwarding.add(freeze);
          client.on("data", (chunk: Buffer) => {
            if (lagClaimWatchMs > 0 && !lag && WATCH_CLAIMS.test(chunk.toString("latin1"))) {
              lag = lagClaimWatchMs;
              lagging.add(client);
            }
            if (loseCreates > 0 && !cutting && CREATE_CLAIM.test(chunk.toString("latin1"))) {
              loseCreates--;
              cutting = true;
              log(
                `forwarding an IPClaim CREATE and dropping its answer (${loseCreates} more to drop)`,
              );
            }
            upstream.write(chunk);
          });
          upstream.on("data", (chunk: Buffer) => {
            if (!cutting) {
              if (lag) setTimeout(() => !client.destroyed && client.write(chunk), lag);
              else client.write(chunk);
              return;
            }
            // The answer is here, so the CREATE was processed: the client must never see it.
            lostCreates++;
            log(
              `dropped the answer of an IPClaim CREATE (${lostCreates} so far) and cut the connection`,
            );
            cutting = false;
            forwarding.delete(freeze);
            client.destroy();
            upstream.destroy();
          });
          client.on("close", () => {
            forwarding.delete(freeze);
            lagging.delete(client);
            upstream.destroy();
          });
          upstream.on("close", () => {
            if (!frozen) client.destroy();
          });
        },
      );
    }
    terminator.emit("connection", raw);
  };

  net
    .createServer(client => {
      accepted++;
      client.on("error", drop);
      if (mode === "blackhole") return hold(client);
      if (loseCreates > 0) return intercept(client);
      passing.add(client);
      client.on("close", () => passing.delete(client));
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

  const status = (): FaultProxyStatus => ({
    mode,
    forwarding: forwarding.size,
    held: held.size,
    accepted,
    loseCreateReplies: loseCreates,
    lostCreateReplies: lostCreates,
    lagClaimWatchMs,
  });
  http
    .createServer((req, res) => {
      const route = `${req.method} ${req.url}`;
      const lose = /^POST \/lose-create-replies\?count=(\d+)(?:&lagClaimWatchMs=(\d+))?$/.exec(
        route,
      );
      if (lose) {
        loseCreates = Number(lose[1]);
        lagClaimWatchMs = Number(lose[2] ?? 0);
        // Requests on connections passed through as TCP cannot be read: those clients reconnect.
        if (loseCreates > 0) for (const c of [...passing]) c.destroy();
        else for (const c of [...lagging]) c.destroy();
      } else if (route === "POST /blackhole") {
        mode = "blackhole";
        for (const freeze of [...forwarding]) freeze();
      } else if (route === "POST /forward") mode = "forward";
      else if (route !== "GET /status")
        return void res.writeHead(404).end(`unknown route ${route}`);
      log(`${route} -> ${JSON.stringify(status())}`);
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(status()));
    })
    .listen(controlPort, "127.0.0.1");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const v = Number(process.argv.find(a => a.startsWith(`--${name}=`))?.split("=")[1]);
    if (!Number.isInteger(v) || v <= 0 || v > 65535)
      throw new Error(`fault-proxy: --${name} must be a TCP port, got ${v}`);
    return v;
  };
  serve(arg("listen"), arg("target"), arg("control"));
}
