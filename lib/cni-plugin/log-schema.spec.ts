import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { Writable } from "node:stream";
import winston from "winston";
import { createLogger } from "../logger.js";
import { serializeError } from "../log-schema.js";
import { createStreamLogger } from "./logger.js";

/**
 * One schema for every line in a pod's output (docs/usage/logs.md): the plugin's logger, the
 * agent's and watcher's winston logger and Pepr's own pino `Log` write the same field names, in
 * the same order, with the same types, and an error the same way.
 */
describe("log schema: plugin, agent/watcher and Pepr lines alike", () => {
  type Line = Record<string, unknown>;

  const boom = () =>
    Object.assign(new Error("boom", { cause: new Error("root") }), { code: "not_ready" });

  /** A line from Pepr's own logger, in a child process as Pepr prints it to stdout. */
  const peprLine = (): Line => {
    const script = `import { Log } from "pepr";
      const e = Object.assign(new Error("boom", { cause: new Error("root") }), { code: "not_ready" });
      Log.warn({ component: "c", err: e }, "hello");`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      env: { ...process.env, LOG_LEVEL: "info" },
    });
    return JSON.parse(out.trim().split("\n").pop()!) as Line;
  };

  const winstonLine = async (): Promise<Line> => {
    let out = "";
    const log = createLogger("c", "info");
    const transport = new winston.transports.Stream({
      stream: new Writable({
        write(chunk, _enc, done) {
          out += String(chunk);
          done();
        },
      }),
    });
    log.clear().add(transport);
    const logged = new Promise(resolve => transport.once("logged", resolve));
    log.warn("hello", { err: boom() });
    await logged;
    return JSON.parse(out.trim()) as Line;
  };

  const pluginLine = (): Line => {
    let out = "";
    createStreamLogger(t => (out += t), "debug", { component: "c" }).warn("hello", { err: boom() });
    return JSON.parse(out.trim()) as Line;
  };

  /** Field names in order, each with its JSON type; `err` with its own fields. */
  const shape = (l: Line) => ({
    fields: Object.entries(l).map(([k, v]) => `${k}:${typeof v}`),
    err: Object.keys(l.err as object),
    values: [l.level, l.pid, l.hostname, l.component, l.msg],
    errValues: [(l.err as Line).type, (l.err as Line).message, (l.err as Line).code],
  });

  it("the plugin's and the winston logger's lines have Pepr's (pino's) schema", async () => {
    const pepr = peprLine();
    assert.deepEqual(
      Object.keys(pepr),
      ["level", "time", "pid", "hostname", "component", "err", "msg"],
      "Pepr's own line as we document it",
    );
    const expected = { ...shape(pepr), values: [40, "pid", pepr.hostname, "c", "hello"] };
    for (const [who, line] of [
      ["lib/cni-plugin/logger.ts", pluginLine()],
      ["lib/logger.ts", await winstonLine()],
    ] as const) {
      assert.deepEqual(
        { ...shape(line), values: shape(line).values.map((v, i) => (i === 1 ? "pid" : v)) },
        expected,
        who,
      );
      assert.equal(line.pid, process.pid, who);
      assert.ok(
        Math.abs(Number(line.time) - Date.now()) < 60_000,
        `${who}: time is epoch milliseconds`,
      );
      assert.match(
        String((line.err as Line).stack),
        /^Error: boom\n[\s\S]*\ncaused by: Error: root\n/,
        `${who}: stack with its cause`,
      );
    }
  });

  it("serializes errors as pino does, and anything else into { type, message }", () => {
    class K8sLikeError extends Error {
      readonly status = 409;
    }
    const e = serializeError(new K8sLikeError("conflict"));
    assert.deepEqual(
      [e.type, e.message, e.status, typeof e.stack],
      ["K8sLikeError", "conflict", 409, "string"],
    );
    assert.deepEqual(serializeError(boom()).message, "boom: root");
    assert.deepEqual(serializeError("text"), { type: "string", message: "text" });
    assert.deepEqual(serializeError(undefined), { type: "undefined", message: "undefined" });
    assert.deepEqual(serializeError({ type: "AgentFailure", message: "no answer" }), {
      type: "AgentFailure",
      message: "no answer",
    });
    assert.deepEqual(
      serializeError(serializeError(e)),
      serializeError(e),
      "serializing twice changes nothing",
    );
  });

  it("keeps the schema's own fields from being overwritten by a call's fields", () => {
    let out = "";
    createStreamLogger(t => (out += t), "debug").info("real", {
      level: "x",
      time: "y",
      msg: "fake",
    });
    const line = JSON.parse(out) as Line;
    assert.deepEqual([line.level, typeof line.time, line.msg], [30, "number", "real"]);
  });
});
