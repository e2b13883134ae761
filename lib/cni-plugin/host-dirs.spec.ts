import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolvesBelow } from "./contained-path.js";
import {
  DEFAULT_HOST_DIRS,
  HOST_CONFIG_FILE,
  isBelow,
  parseHostDirs,
  readHostDirs,
} from "./host-dirs.js";

describe("cni/host-dirs: the node's plugin directories", () => {
  describe("parseHostDirs", () => {
    it("reads both directories, normalised", () => {
      assert.deepEqual(parseHostDirs('{"logDir":"/srv/logs/","runDir":"/run//spiderpool"}', "f"), {
        ok: true,
        value: { logDir: "/srv/logs", runDir: "/run/spiderpool" },
      });
    });
    it("defaults a missing key to Spiderpool's directory", () => {
      assert.deepEqual(parseHostDirs('{"runDir":"/run/x"}', "f"), {
        ok: true,
        value: { logDir: "/var/log/spidernet", runDir: "/run/x" },
      });
    });
    for (const [text, problem] of [
      ["{", "not JSON"],
      ["[]", "expected a JSON object"],
      ['{"logdir":"/x"}', 'unknown key "logdir", expected logDir or runDir'],
      ['{"logDir":"var/log"}', 'logDir: expected an absolute path, got "var/log"'],
      ['{"runDir":7}', "runDir: expected an absolute path, got 7"],
    ]) {
      it(`refuses ${text} naming the file (code 4)`, () => {
        const r = parseHostDirs(text!, "/opt/cni/bin/spiderpool-host.json");
        assert.equal(r.ok, false);
        if (r.ok) return;
        assert.equal(r.error.code, 4);
        assert.equal(r.error.details, "/opt/cni/bin/spiderpool-host.json");
        assert.ok(
          r.error.msg.startsWith("node plugin configuration /opt/cni/bin/spiderpool-host.json: "),
          r.error.msg,
        );
        assert.ok(r.error.msg.includes(problem!), r.error.msg);
      });
    }
  });

  describe("readHostDirs and resolvesBelow (file system)", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "spiderpool-host-dirs-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("an absent file means the defaults; a present one is read", () => {
      assert.deepEqual(readHostDirs(dir), { ok: true, value: DEFAULT_HOST_DIRS });
      writeFileSync(
        join(dir, HOST_CONFIG_FILE),
        JSON.stringify({ logDir: join(dir, "l"), runDir: join(dir, "r") }),
      );
      assert.deepEqual(readHostDirs(dir), {
        ok: true,
        value: { logDir: join(dir, "l"), runDir: join(dir, "r") },
      });
    });

    it("follows links on both sides: a linked directory out is out, a linked node directory is fine", () => {
      const outside = mkdtempSync(join(tmpdir(), "spiderpool-outside-"));
      try {
        mkdirSync(join(dir, "logs"));
        symlinkSync(outside, join(dir, "logs", "out"));
        symlinkSync(join(dir, "logs"), join(dir, "logs-link"));
        assert.equal(
          resolvesBelow(join(dir, "logs", "a", "b.log"), join(dir, "logs")),
          true,
          "not yet existing, inside",
        );
        assert.equal(resolvesBelow(join(dir, "logs", "out", "x.log"), join(dir, "logs")), false);
        assert.equal(
          resolvesBelow(join(dir, "logs", "out", "new", "x.log"), join(dir, "logs")),
          false,
        );
        assert.equal(resolvesBelow(join(dir, "logs-link", "x.log"), join(dir, "logs")), true);
        assert.equal(resolvesBelow(join(dir, "logs", "x.log"), join(dir, "logs-link")), true);
        assert.equal(
          resolvesBelow(join(dir, "logs"), join(dir, "logs")),
          false,
          "the directory itself",
        );
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });
  });

  it("isBelow is strict and not fooled by a shared prefix", () => {
    assert.equal(isBelow("/var/log/spidernet/x.log", "/var/log/spidernet"), true);
    assert.equal(isBelow("/var/log/spidernet", "/var/log/spidernet"), false);
    assert.equal(isBelow("/var/log/spidernet2/x.log", "/var/log/spidernet"), false);
    assert.equal(isBelow("/x", "/"), true);
  });
});
