import { execFileSync } from "node:child_process";
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { ApiClient } from "./api-client.js";

/**
 * The client against a real TLS server on loopback that can be told to stall: no answer at all,
 * headers and half a body, or silence on a connection that answered before.
 */
export class StallingServer {
  readonly sockets = new Set<Socket>();
  readonly closed: Socket[] = [];
  handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
  #server!: https.Server;
  #dir = "";

  async start(): Promise<void> {
    this.#dir = fs.mkdtempSync(path.join(os.tmpdir(), "stall-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "k.pem",
        "-out",
        "c.pem",
      ],
      {
        cwd: this.#dir,
        stdio: "ignore",
      },
    );
    this.#server = https.createServer(
      {
        key: fs.readFileSync(path.join(this.#dir, "k.pem")),
        cert: fs.readFileSync(path.join(this.#dir, "c.pem")),
      },
      (req, res) => this.handler(req, res),
    );
    this.#server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => {
        this.sockets.delete(s);
        this.closed.push(s);
      });
    });
    await new Promise<void>(r => this.#server.listen(0, "127.0.0.1", r));
    const port = (this.#server.address() as AddressInfo).port;
    fs.writeFileSync(
      path.join(this.#dir, "kubeconfig"),
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
  }

  client(): ApiClient {
    return ApiClient.fromKubeconfig(path.join(this.#dir, "kubeconfig"));
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise(r => this.#server.close(r));
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }
}
