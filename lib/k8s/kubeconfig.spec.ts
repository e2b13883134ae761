import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubeconfigError, loadCredentials } from "./kubeconfig.js";

describe("loadCredentials", () => {
  let dir: string;
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
    return f;
  };
  const b64 = (s: string) => Buffer.from(s).toString("base64");

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads server, CA and client certificate from files relative to the kubeconfig", async () => {
    write("pki/ca.crt", "CA");
    write("pki/admin.crt", "CERT");
    write("pki/admin.key", "KEY");
    const f = write(
      "kubeconfig",
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", certificate-authority: pki/ca.crt}}]
users: [{name: u, user: {client-certificate: pki/admin.crt, client-key: pki/admin.key}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    const c = loadCredentials(f, {});
    assert.equal(c.server.href, "https://127.0.0.1:6443/");
    const o = await c.options();
    assert.deepEqual(
      [o.ca?.toString(), o.cert?.toString(), o.key?.toString(), o.headers],
      ["CA", "CERT", "KEY", undefined],
    );
  });

  it("decodes inline data and honours insecure-skip-tls-verify and tls-server-name", async () => {
    const f = write(
      "kc",
      `clusters: [{name: c, cluster: {server: "https://[fd00::1]:443", certificate-authority-data: ${b64("CA")}, insecure-skip-tls-verify: true, tls-server-name: api.example}}]
users: [{name: u, user: {client-certificate-data: ${b64("CERT")}, client-key-data: ${b64("KEY")}, as: alice}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    const o = await loadCredentials(f, {}).options();
    assert.equal(o.ca?.toString(), "CA");
    assert.equal(o.cert?.toString(), "CERT");
    assert.equal(o.rejectUnauthorized, false);
    assert.equal(o.servername, "api.example");
    assert.deepEqual(o.headers, { "Impersonate-User": "alice" });
  });

  it("re-reads a token file on every call, so rotated tokens are picked up", async () => {
    const tok = write("token", "one\n");
    const f = write(
      "kc",
      `clusters: [{name: c, cluster: {server: "https://k:6443"}}]
users: [{name: u, user: {tokenFile: ${tok}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    const c = loadCredentials(f, {});
    assert.deepEqual((await c.options()).headers, { Authorization: "Bearer one" });
    fs.writeFileSync(tok, "two");
    assert.deepEqual((await c.options()).headers, { Authorization: "Bearer two" });
  });

  it("merges a $KUBECONFIG list, the first file's entries and current-context winning", async () => {
    const a = write("a", `current-context: x\nusers: [{name: u, user: {token: from-a}}]\n`);
    const b = write(
      "b",
      `current-context: y
clusters: [{name: c, cluster: {server: "https://b:1"}}]
users: [{name: u, user: {token: from-b}}]
contexts: [{name: x, context: {cluster: c, user: u}}, {name: y, context: {cluster: c, user: nobody}}]
`,
    );
    const c = loadCredentials(undefined, { KUBECONFIG: `${a}${path.delimiter}${b}` });
    assert.equal(c.server.host, "b:1");
    assert.deepEqual((await c.options()).headers, { Authorization: "Bearer from-a" });
  });

  const broken: [string, string, RegExp][] = [
    [
      "a current-context without a context",
      "current-context: gone\n",
      /current-context "gone" names no context/,
    ],
    [
      "a cluster without server",
      "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {}}]\n",
      /cluster "c" of context x has no server/,
    ],
    ["YAML that does not parse", "clusters: [\n", /kubeconfig .*kc:/],
  ];
  for (const [what, text, error] of broken) {
    it(`refuses ${what}, naming the file and field`, () => {
      const f = write("kc", text);
      assert.throws(() => loadCredentials(f, {}), error);
    });
  }

  it("leaves authentication plugins to client-node without loading it up front", () => {
    const f = write(
      "kc",
      `clusters: [{name: c, cluster: {server: "https://exec:6443"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/false}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    assert.equal(loadCredentials(f, {}).server.host, "exec:6443");
  });

  describe("--context", () => {
    const two = `clusters:
- {name: a, cluster: {server: "https://a.example:6443"}}
- {name: b, cluster: {server: "https://b.example:6443"}}
users: [{name: u, user: {token: T}}]
contexts:
- {name: ctx-a, context: {cluster: a, user: u}}
- {name: ctx-b, context: {cluster: b, user: u}}
current-context: ctx-a
`;

    it("uses current-context without one, the named context with one", () => {
      const f = write("kc", two);
      assert.equal(loadCredentials(f, {}).server.host, "a.example:6443");
      assert.equal(loadCredentials(f, {}, { context: "ctx-b" }).server.host, "b.example:6443");
    });

    it("carries the chosen context's namespace, which kubectl uses without -n", () => {
      const f = write(
        "kc",
        two.replace("{cluster: b, user: u}", "{cluster: b, user: u, namespace: team-b}"),
      );
      assert.equal(loadCredentials(f, {}).namespace, undefined);
      assert.equal(loadCredentials(f, {}, { context: "ctx-b" }).namespace, "team-b");
    });

    it("finds the context in a merged $KUBECONFIG list", () => {
      const first = write("one", "current-context: ctx-a\n");
      const second = write("two", two);
      const env = { KUBECONFIG: [first, second].join(path.delimiter) };
      assert.equal(
        loadCredentials(undefined, env, { context: "ctx-b" }).server.host,
        "b.example:6443",
      );
    });

    it("refuses a context that does not exist, naming it and the ones there are", () => {
      const f = write("kc", two);
      assert.throws(
        () => loadCredentials(f, {}, { context: "nope" }),
        (e: unknown) =>
          e instanceof KubeconfigError &&
          e.code === "context_not_found" &&
          /context "nope" not found in kubeconfig .*kc \(contexts: ctx-a, ctx-b\)/.test(e.message),
      );
    });

    it("refuses a context when there is no kubeconfig at all (no in-cluster fallback)", () => {
      assert.throws(
        () => loadCredentials(undefined, { HOME: dir }, { context: "ctx-a" }),
        (e: unknown) => e instanceof KubeconfigError && e.code === "no_kubeconfig",
      );
    });
  });
});
