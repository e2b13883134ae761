import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pruneBackups, rotateLogFile } from "./log-rotate.js";
import { createFileLogger, createStreamLogger } from "./logger.js";

const MIB = 1024 * 1024;
const limits = { maxBytes: 100 * MIB, maxAgeDays: 0, maxCount: 0 };

describe("cni/logger", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "spiderpool-log-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const lines = (path: string) =>
    readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map(l => JSON.parse(l) as Record<string, unknown>);

  it("filters by level and adds base fields, in Pepr's (pino's) line schema", () => {
    const path = join(dir, "a", "b", "plugin.log");
    const log = createFileLogger(
      path,
      dir,
      "warn",
      limits,
      () => assert.fail("no fallback expected"),
      { cmd: "ADD" },
    );
    log.debug("d");
    log.info("i");
    log.with({ pod: "ns/p" }).warn("w", { extra: 1 });
    log.error("e", { err: { message: "x" } });
    log.close();
    log.error("after close is dropped");
    const got = lines(path);
    assert.deepEqual(
      got.map(l => [l.level, l.msg]),
      [
        [40, "w"],
        [50, "e"],
      ],
    );
    assert.deepEqual(Object.keys(got[0]!), [
      "level",
      "time",
      "pid",
      "hostname",
      "cmd",
      "pod",
      "extra",
      "msg",
    ]);
    assert.equal(typeof got[0]!.time, "number");
    assert.deepEqual(got[1]!.err, { type: "Object", message: "x" });
  });

  it("never throws on unserialisable fields", () => {
    let out = "";
    const log = createStreamLogger(t => (out += t), "debug");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    log.info("odd", { big: 1n, cyclic });
    assert.deepEqual([JSON.parse(out).msg, JSON.parse(out).level], ["odd", 30]);
  });

  const refused: Array<[string, () => string]> = [
    ["a directory that cannot be created", () => "/proc/no-such-dir/x/plugin.log"],
    ["a path under a regular file", () => "/etc/hostname/plugin.log"],
    ["a directory", () => dir],
    [
      "a FIFO without a reader (would block a plain open)",
      () => {
        execFileSync("mkfifo", [join(dir, "fifo")]);
        return join(dir, "fifo");
      },
    ],
    ["a character device", () => "/dev/null"],
    ["our own stdout", () => "/proc/self/fd/1"],
  ];
  for (const [what, path] of refused) {
    it(`falls back to the writer for ${what}`, () => {
      let out = "";
      const log = createFileLogger(path(), "/", "info", limits, t => (out += t));
      log.info("kept");
      log.close();
      const got = out
        .trim()
        .split("\n")
        .map(l => JSON.parse(l));
      assert.deepEqual(
        got.map(l => l.msg),
        ["cannot open log file, logging to stderr", "kept"],
      );
    });
  }

  it("rotates a full file to a lumberjack-style backup and starts a new one", () => {
    const path = join(dir, "spiderpool.log");
    writeFileSync(path, "x".repeat(2048));
    const log = createFileLogger(
      path,
      dir,
      "info",
      { maxBytes: 1024, maxAgeDays: 0, maxCount: 0 },
      () => assert.fail("no fallback"),
    );
    log.info("fresh");
    log.close();
    const names = readdirSync(dir).sort();
    assert.equal(names.length, 2);
    assert.match(names[0]!, /^spiderpool-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log$/);
    assert.equal(readFileSync(join(dir, names[0]!), "utf8"), "x".repeat(2048));
    assert.deepEqual(
      lines(path).map(l => l.msg),
      ["fresh"],
    );
  });

  it("prunes backups beyond max count and older than max age, leaving other files", () => {
    const path = join(dir, "spiderpool.log");
    const now = new Date("2025-06-10T12:00:00.000Z");
    const backups = [
      "2025-06-10T11-00-00.000",
      "2025-06-09T11-00-00.000",
      "2025-06-08T11-00-00.000",
      "2025-05-01T00-00-00.000",
    ];
    for (const stamp of backups) writeFileSync(join(dir, `spiderpool-${stamp}.log`), "");
    writeFileSync(join(dir, "spiderpool-notes.log"), "");
    writeFileSync(join(dir, "other-2025-01-01T00-00-00.000.log"), "");
    utimesSync(join(dir, "spiderpool-notes.log"), 0, 0);
    pruneBackups(path, dir, { maxBytes: MIB, maxAgeDays: 30, maxCount: 2 }, now);
    assert.deepEqual(readdirSync(dir).sort(), [
      "other-2025-01-01T00-00-00.000.log",
      "spiderpool-2025-06-09T11-00-00.000.log",
      "spiderpool-2025-06-10T11-00-00.000.log",
      "spiderpool-notes.log",
    ]);
  });

  it("keeps every backup when both limits are 0", () => {
    const path = join(dir, "spiderpool.log");
    writeFileSync(join(dir, "spiderpool-2000-01-01T00-00-00.000.log"), "");
    pruneBackups(path, dir, { maxBytes: MIB, maxAgeDays: 0, maxCount: 0 });
    assert.equal(readdirSync(dir).length, 1);
  });
  describe("never touches what is not its own log file", () => {
    /** A file outside the log directory, and a way to see that nothing about it changed. */
    const victim = () => {
      const outside = mkdtempSync(join(tmpdir(), "spiderpool-victim-"));
      const file = join(outside, "victim.log");
      writeFileSync(file, "precious\n".repeat(300));
      utimesSync(file, 1_000_000, 1_000_000);
      const seen = () => {
        const st = statSync(file);
        return {
          content: readFileSync(file, "utf8"),
          ino: st.ino,
          mtimeMs: st.mtimeMs,
          names: readdirSync(outside).sort(),
        };
      };
      return { outside, file, before: seen(), seen };
    };

    it("does not follow a symbolic link at the log file's name (O_NOFOLLOW): lines go to the writer", () => {
      const v = victim();
      try {
        const path = join(dir, "spiderpool.log");
        symlinkSync(v.file, path);
        let out = "";
        const log = createFileLogger(
          path,
          dir,
          "info",
          { maxBytes: 1024, maxAgeDays: 0, maxCount: 1 },
          t => (out += t),
        );
        log.info("kept");
        log.close();
        assert.deepEqual(
          out
            .trim()
            .split("\n")
            .map(l => (JSON.parse(l) as { msg: string }).msg),
          ["cannot open log file, logging to stderr", "kept"],
        );
        assert.deepEqual(v.seen(), v.before);
        assert.ok(lstatSync(path).isSymbolicLink());
      } finally {
        rmSync(v.outside, { recursive: true, force: true });
      }
    });

    it("rotates nothing outside the log directory, even a file over the limit", () => {
      const v = victim();
      try {
        rotateLogFile(v.file, dir, { maxBytes: 1, maxAgeDays: 1, maxCount: 1 });
        writeFileSync(join(v.outside, "victim-2000-01-01T00-00-00.000.log"), "old");
        pruneBackups(v.file, dir, { maxBytes: 1, maxAgeDays: 1, maxCount: 1 });
        assert.deepEqual(v.seen(), {
          ...v.before,
          names: ["victim-2000-01-01T00-00-00.000.log", "victim.log"],
        });
      } finally {
        rmSync(v.outside, { recursive: true, force: true });
      }
    });

    it("prunes no symbolic link carrying a backup's name, nor what it points to", () => {
      const v = victim();
      try {
        const path = join(dir, "spiderpool.log");
        symlinkSync(v.file, join(dir, "spiderpool-2000-01-01T00-00-00.000.log"));
        writeFileSync(join(dir, "spiderpool-2000-01-02T00-00-00.000.log"), "");
        pruneBackups(
          path,
          dir,
          { maxBytes: MIB, maxAgeDays: 1, maxCount: 1 },
          new Date("2025-01-01T00:00:00Z"),
        );
        assert.deepEqual(readdirSync(dir), ["spiderpool-2000-01-01T00-00-00.000.log"]);
        assert.deepEqual(v.seen(), v.before);
      } finally {
        rmSync(v.outside, { recursive: true, force: true });
      }
    });

    it("does not rotate a symbolic link at the log file's name", () => {
      const v = victim();
      try {
        const path = join(dir, "spiderpool.log");
        symlinkSync(v.file, path);
        rotateLogFile(path, dir, { maxBytes: 1, maxAgeDays: 0, maxCount: 1 });
        assert.deepEqual(readdirSync(dir), ["spiderpool.log"]);
        assert.deepEqual(v.seen(), v.before);
      } finally {
        rmSync(v.outside, { recursive: true, force: true });
      }
    });
  });
});
