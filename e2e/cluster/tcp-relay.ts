/**
 * A plain TCP relay, run as its own process: `--listen=<address>:<port> --target=<host>:<port>`.
 * A real node's kubelet lives in a network namespace and reaches kube-apiserver, which listens on
 * loopback only, through one of these bound on the root side of the node's management link; TLS
 * passes through untouched.
 */
import net from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { listen: { type: "string" }, target: { type: "string" } },
});

function hostPort(flag: string, v: string | undefined): [string, number] {
  const m = /^(.+):(\d+)$/.exec(v ?? "");
  if (!m) throw new Error(`--${flag} must be <address>:<port>, got ${JSON.stringify(v)}`);
  return [m[1]!, Number(m[2])];
}

const [lhost, lport] = hostPort("listen", values.listen);
const [thost, tport] = hostPort("target", values.target);

const server = net.createServer(client => {
  const upstream = net.connect({ host: thost, port: tport });
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", close);
  upstream.on("error", close);
  client.on("close", close);
  upstream.on("close", close);
});
server.listen(lport, lhost, () =>
  process.stdout.write(`relaying ${lhost}:${lport} to ${thost}:${tport}\n`),
);
process.on("SIGTERM", () => process.exit(0));
