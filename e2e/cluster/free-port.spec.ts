import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { candidatePorts, ephemeralRange, freePort } from "./free-port.js";

describe("free-port", () => {
  it("reads the kernel's ephemeral range, and falls back to Linux's default", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "free-port-"));
    const file = path.join(dir, "range");
    fs.writeFileSync(file, "40000\t50000\n");
    assert.deepEqual(ephemeralRange(file), { low: 40000, high: 50000 });
    fs.writeFileSync(file, "garbage\n");
    assert.deepEqual(ephemeralRange(file), { low: 32768, high: 60999 });
    assert.deepEqual(ephemeralRange(path.join(dir, "missing")), { low: 32768, high: 60999 });
    fs.rmSync(dir, { recursive: true });
  });

  it("never offers a port of the ephemeral range, jumping over it", () => {
    const range = { low: 32768, high: 60999 };
    const ports = candidatePorts(32000, range);
    assert.equal(ports.length, 2000);
    assert.deepEqual(
      ports.filter(p => p >= range.low && p <= range.high),
      [],
    );
    assert.equal(ports[0], 32000);
    assert.equal(ports[767], 32767);
    assert.equal(ports[768], 61000);
    assert.equal(candidatePorts(33443, range)[0], 61000);
  });

  it("hands out a listenable port outside this machine's ephemeral range, never twice", async () => {
    const range = ephemeralRange();
    const a = await freePort(range.low + 10);
    const b = await freePort(range.low + 10);
    for (const p of [a, b]) assert.ok(p < range.low || p > range.high, `port ${p}`);
    assert.notEqual(a, b);
  });
});
