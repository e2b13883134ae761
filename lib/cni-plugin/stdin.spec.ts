import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fdChunks, readStdin } from "./stdin.js";

describe("cni/stdin", () => {
  it("takes strings and bytes as they are", async () => {
    assert.deepEqual(await readStdin("{}", 10, Date.now() + 1000), {
      ok: true,
      value: Buffer.from("{}"),
    });
    assert.deepEqual(await readStdin(Buffer.from("abc"), 3, Date.now() + 1000), {
      ok: true,
      value: Buffer.from("abc"),
    });
  });

  it("concatenates a chunked stream", async () => {
    const r = await readStdin(
      () => Readable.from([Buffer.from('{"a"'), ":1}"]),
      100,
      Date.now() + 1000,
    );
    assert.equal(r.ok && Buffer.from(r.value).toString(), '{"a":1}');
  });

  it("stops at the size cap and destroys the stream", async () => {
    const stream = new PassThrough();
    stream.write(Buffer.alloc(600));
    stream.write(Buffer.alloc(600));
    const r = await readStdin(() => stream, 1000, Date.now() + 1000);
    assert.equal(
      r.ok || r.error.msg,
      "failed to parse CNI network configuration: stdin exceeds 1000 bytes",
    );
    await new Promise(resolve => setImmediate(resolve));
    assert.equal(stream.destroyed, true);
  });

  it("gives up at the deadline when stdin is never closed", async () => {
    const started = Date.now();
    const r = await readStdin(() => new PassThrough(), 1000, started + 100);
    assert.equal(r.ok || r.error.code, 6);
    assert.equal(
      r.ok || r.error.msg,
      "failed to parse CNI network configuration: stdin was not closed before the deadline",
    );
    assert.ok(Date.now() - started < 500);
  });

  it("an oversized string is refused without copying it", async () => {
    const r = await readStdin("x".repeat(2000), 1000, Date.now() + 1000);
    assert.equal(r.ok || r.error.code, 6);
  });
});

describe("cni/stdin fdChunks", () => {
  it("reads a file descriptor to its end in chunks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fdchunks-"));
    const file = join(dir, "netconf.json");
    const content = Buffer.from("x".repeat(150_000));
    writeFileSync(file, content);
    const fd = openSync(file, "r");
    try {
      const chunks: Uint8Array[] = [];
      for await (const chunk of fdChunks(fd, 64 * 1024)) chunks.push(chunk);
      assert.deepEqual(
        chunks.map(c => c.length),
        [65536, 65536, 150_000 - 131072],
      );
      assert.ok(Buffer.concat(chunks).equals(content));
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives up at the deadline on a descriptor that never ends, and reports read errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fdchunks-"));
    const fifo = join(dir, "stdin");
    execFileSync("mkfifo", [fifo]);
    // Read-write so the open does not wait for a writer; reads then wait for data forever.
    const fd = openSync(fifo, "r+");
    try {
      const started = Date.now();
      const r = await readStdin(() => fdChunks(fd), 1000, started + 100);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error.msg, /stdin was not closed before the deadline/);
      assert.ok(Date.now() - started < 2000);
      writeSync(fd, "x"); // releases the read still pending in libuv's pool
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
    const closed = await readStdin(() => fdChunks(987_654), 1000, Date.now() + 1000);
    assert.equal(closed.ok, false);
    if (!closed.ok) assert.match(closed.error.msg, /reading stdin: EBADF/);
  });
});
