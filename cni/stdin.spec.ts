import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { readStdin } from "./stdin.js";

describe("cni/stdin", () => {
  it("takes strings and bytes as they are", async () => {
    assert.deepEqual(await readStdin("{}", 10, Date.now() + 1000), { ok: true, value: Buffer.from("{}") });
    assert.deepEqual(await readStdin(Buffer.from("abc"), 3, Date.now() + 1000), { ok: true, value: Buffer.from("abc") });
  });

  it("concatenates a chunked stream", async () => {
    const r = await readStdin(() => Readable.from([Buffer.from('{"a"'), ":1}"]), 100, Date.now() + 1000);
    assert.equal(r.ok && Buffer.from(r.value).toString(), '{"a":1}');
  });

  it("stops at the size cap and destroys the stream", async () => {
    const stream = new PassThrough();
    stream.write(Buffer.alloc(600));
    stream.write(Buffer.alloc(600));
    const r = await readStdin(() => stream, 1000, Date.now() + 1000);
    assert.equal(r.ok || r.error.msg, "failed to parse CNI network configuration: stdin exceeds 1000 bytes");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stream.destroyed, true);
  });

  it("gives up at the deadline when stdin is never closed", async () => {
    const started = Date.now();
    const r = await readStdin(() => new PassThrough(), 1000, started + 100);
    assert.equal(r.ok || r.error.code, 6);
    assert.equal(r.ok || r.error.msg, "failed to parse CNI network configuration: stdin was not closed before the deadline");
    assert.ok(Date.now() - started < 500);
  });

  it("an oversized string is refused without copying it", async () => {
    const r = await readStdin("x".repeat(2000), 1000, Date.now() + 1000);
    assert.equal(r.ok || r.error.code, 6);
  });
});
