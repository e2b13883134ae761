/**
 * Property: whatever the environment, stdin and agent do, runPlugin settles by its deadline with
 * exit 0/1 and at most one well-formed CNI document on stdout (a result, the VERSION answer, or
 * an error object), and never throws.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { CNI_COMMANDS } from "./args.js";
import { startFakeAgent, type FakeAgent } from "../testing/fake-agent.js";
import { DEFAULT_TIMEOUT_SECONDS } from "./plugin.js";
import { invoke, outputProblem } from "../testing/plugin-harness.js";
import { DEFAULT_MAX_STDIN_BYTES, type StdinSource } from "./stdin.js";

const RUNS = 10_000;
/** Agent scenarios (fake-agent.ts) that answer at once; "hang" costs a whole second, so only a few runs keep it. */
const PODS = [
  "ok",
  "ip-used-out",
  "not-ready",
  "no-header-500",
  "unavailable-503",
  "garbage",
  "bad-schema",
  "bad-address",
  "other-nic",
];
const HANG_TIMEOUT = 1;
const HANG_RUNS = 5;

describe("cni/plugin fuzz", function () {
  this.timeout(600_000);
  let dir: string;
  let agent: FakeAgent;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "spiderpool-fuzz-"));
    agent = await startFakeAgent(join(dir, "agent.sock"));
  });
  after(async () => {
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`settles with a valid CNI answer for ${RUNS} generated invocations`, async () => {
    const seen = new Map<string, number>();
    let hangs = 0;
    const oversized = Buffer.from(
      `{"cniVersion":"1.0.0","name":"n","pad":"${"x".repeat(DEFAULT_MAX_STDIN_BYTES)}"}`,
    );
    const text = fc.string({ maxLength: 40, unit: "binary" });
    const maybe = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined, freq: 4 });

    const envValue = (valid: string) =>
      fc.oneof(
        { weight: 30, arbitrary: fc.constant(valid) },
        fc.constant(undefined),
        fc.constant(""),
        text,
      );
    const pod = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...PODS) },
      fc.constant("hang"),
      text,
    );
    const cniArgs = fc.oneof(
      {
        weight: 20,
        arbitrary: pod.map(
          name => `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${name};K8S_POD_UID=u1`,
        ),
      },
      fc
        .array(
          fc.tuple(
            fc.constantFrom("K8S_POD_NAME", "K8S_POD_NAMESPACE", "IgnoreUnknown", "IP", "FOO", ""),
            text,
          ),
          { maxLength: 4 },
        )
        .map(kv => kv.map(([k, v]) => `${k}=${v}`).join(";")),
      text,
      fc.constant(undefined),
    );
    const command = fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom(...CNI_COMMANDS) },
      fc.constant(undefined),
      text,
    );

    // Replacement values for netconf fields; log paths stay inside the temp dir (or are unwritable).
    const jsonValue = fc.jsonValue({ maxDepth: 2 });
    const mutation = fc.oneof(
      fc.record({
        at: fc.constantFrom(
          "cniVersion",
          "name",
          "type",
          "ipam",
          "prevResult",
          "cni.dev/valid-attachments",
        ),
        value: fc.oneof(jsonValue, fc.constant(undefined)),
      }),
      fc.record({
        at: fc.constantFrom(
          "ipam.type",
          "ipam.default_ipv4_ippool",
          "ipam.default_ipv6_ippool",
          "ipam.clean_gateway",
          "ipam.log_level",
          "ipam.log_file_max_size",
          "ipam.ipam_unix_socket_path",
        ),
        value: fc.oneof(jsonValue, fc.constant(undefined)),
      }),
      fc.record({
        at: fc.constant("ipam.timeout_seconds"),
        value: fc.oneof(fc.double(), fc.constantFrom(0.05, 1, 0, -1, 601, "5", null)),
      }),
      fc.record({
        at: fc.constant("ipam.log_file_path"),
        value: fc.constantFrom(
          undefined,
          "",
          "/proc/no-such-dir/x.log",
          dir,
          join(dir, "other", "p.log"),
        ),
      }),
      fc.record({
        at: fc.constant("ipam.ipam_unix_socket_path"),
        value: fc.constantFrom(join(dir, "absent.sock"), dir, "\u0000"),
      }),
    );
    const netconf = fc.record({
      cniVersion: fc.oneof(
        { weight: 10, arbitrary: fc.constantFrom("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0") },
        fc.constantFrom("0.2.0", "2.0.0"),
      ),
      mutations: fc.oneof(fc.constant([]), fc.array(mutation, { maxLength: 4 })),
      withTimeout: fc.boolean(),
    });
    const bytes = fc.oneof(
      { weight: 12, arbitrary: fc.constant("intact" as const) },
      fc.record({ cut: fc.nat() }),
      fc.record({ garbage: fc.oneof(text, fc.uint8Array({ maxLength: 64 })) }),
      fc.constant("oversized" as const),
    );
    const delivery = fc.constantFrom("string", "bytes", "stream");

    const invocation = fc.record({
      command,
      containerId: envValue("c0ffee"),
      netns: envValue("/var/run/netns/p1"),
      ifName: envValue("eth0"),
      path: envValue("/opt/cni/bin"),
      cniArgs,
      netconf,
      bytes,
      delivery,
      extraEnv: maybe(
        fc.dictionary(fc.constantFrom("CNI_FOO", "K8S_POD_NAME", "IP"), text, { maxKeys: 2 }),
      ),
    });

    await fc.assert(
      fc.asyncProperty(invocation, async c => {
        const conf: Record<string, unknown> = {
          cniVersion: c.netconf.cniVersion,
          name: "fuzz-net",
          ipam: {
            type: "spiderpool",
            ipam_unix_socket_path: agent.socketPath,
            log_file_path: join(dir, "log", "spiderpool.log"),
            log_level: "debug",
            ...(c.netconf.withTimeout ? { timeout_seconds: 1 } : {}),
          },
          "cni.dev/valid-attachments": [{ containerID: "c0ffee", ifname: "eth0" }],
          prevResult: { ips: [{ address: "10.6.168.101/16" }, { address: "fd00:10:6::65/64" }] },
        };
        for (const m of c.netconf.mutations) setPath(conf, m.at, m.value);
        const timeout = (conf.ipam as Record<string, unknown> | undefined)?.timeout_seconds;
        const validTimeout =
          typeof timeout === "number" && Number.isInteger(timeout) && timeout >= 1 && timeout <= 600
            ? timeout
            : undefined;
        // A hanging agent only with the shortest deadline and only a few times, or the run would take hours.
        let cniArgs = c.cniArgs;
        if (
          cniArgs?.includes("K8S_POD_NAME=hang") &&
          (validTimeout === undefined || validTimeout > HANG_TIMEOUT)
        ) {
          if (
            hangs < HANG_RUNS &&
            typeof conf.ipam === "object" &&
            conf.ipam !== null &&
            !Array.isArray(conf.ipam)
          ) {
            hangs++;
            (conf.ipam as Record<string, unknown>).timeout_seconds = HANG_TIMEOUT;
          } else cniArgs = cniArgs.replace("K8S_POD_NAME=hang", "K8S_POD_NAME=ok");
        } else if (cniArgs?.includes("K8S_POD_NAME=hang")) {
          if (hangs < HANG_RUNS) hangs++;
          else cniArgs = cniArgs.replace("K8S_POD_NAME=hang", "K8S_POD_NAME=ok");
        }

        const json = Buffer.from(JSON.stringify(conf) ?? "", "utf8");
        let payload: Buffer;
        if (c.bytes === "intact") payload = json;
        else if (c.bytes === "oversized") payload = oversized;
        else if ("cut" in c.bytes) payload = json.subarray(0, c.bytes.cut % (json.length + 1));
        else payload = Buffer.from(c.bytes.garbage);
        const stdin: StdinSource =
          c.delivery === "string"
            ? payload.toString("utf8")
            : c.delivery === "bytes"
              ? payload
              : () => Readable.from(chunks(payload));

        const env = {
          ...c.extraEnv,
          CNI_COMMAND: c.command,
          CNI_CONTAINERID: c.containerId,
          CNI_NETNS: c.netns,
          CNI_IFNAME: c.ifName,
          CNI_PATH: c.path,
          CNI_ARGS: cniArgs,
        };
        const known = (CNI_COMMANDS as readonly (string | undefined)[]).includes(c.command)
          ? (c.command as (typeof CNI_COMMANDS)[number])
          : undefined;
        const finalTimeout = (conf.ipam as Record<string, unknown> | undefined)?.timeout_seconds;
        const deadlineMs =
          (typeof finalTimeout === "number" &&
          Number.isInteger(finalTimeout) &&
          finalTimeout >= 1 &&
          finalTimeout <= 600
            ? finalTimeout
            : known && known !== "VERSION"
              ? DEFAULT_TIMEOUT_SECONDS[known]
              : 60) * 1000;

        let timer: NodeJS.Timeout | undefined;
        const r = await Promise.race([
          invoke(env, stdin, { hostDirs: { ok: true, value: { logDir: dir, runDir: dir } } }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`did not settle within ${deadlineMs + 2000} ms`)),
              deadlineMs + 2000,
            );
          }),
        ]).finally(() => clearTimeout(timer));

        assert.ok(r.code === 0 || r.code === 1, `exit code ${r.code}`);
        assert.ok(r.stdoutWrites <= 1, `${r.stdoutWrites} writes to stdout`);
        const problem = outputProblem(known ?? c.command, r.code, r.stdout);
        assert.equal(problem, undefined, `${problem}\nenv=${JSON.stringify(env)}`);
        if (known === undefined && c.command) assert.equal(JSON.parse(r.stdout).code, 4);
        const outcome =
          r.code === 0 ? `${known ?? "about"} ok` : `code ${JSON.parse(r.stdout).code}`;
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      }),
      { numRuns: RUNS },
    );
    // Guard against a degenerate generator: every class of answer must have been exercised.
    const missing = [
      "ADD ok",
      "DEL ok",
      "CHECK ok",
      "GC ok",
      "STATUS ok",
      "VERSION ok",
      ...[1, 4, 6, 7, 11, 100, 101, 102, 103].map(n => `code ${n}`),
    ].filter(k => !seen.has(k));
    assert.deepEqual(missing, [], `outcomes seen: ${JSON.stringify(Object.fromEntries(seen))}`);
  });
});

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head, tail] = path.split(/\.(.*)/s) as [string, string | undefined];
  if (tail === undefined || path.startsWith("cni.dev")) {
    if (value === undefined) delete target[path];
    else target[path] = value;
    return;
  }
  const inner = target[head];
  if (inner && typeof inner === "object" && !Array.isArray(inner))
    setPath(inner as Record<string, unknown>, tail, value);
}

function* chunks(payload: Buffer): Generator<Buffer> {
  for (let i = 0; i < payload.length; i += 7919) yield payload.subarray(i, i + 7919);
  if (payload.length === 0) return;
}
