/**
 * Reads the network configuration from stdin with a size cap and a deadline: a runtime that
 * never closes stdin, or pipes in garbage without end, must not keep the plugin alive.
 */
import { read } from "node:fs";
import { fail, type Outcome } from "./cni-error.js";

/**
 * What the entry function accepts as stdin: the whole text/bytes (tests), or a function returning
 * a stream of chunks (main.ts passes `() => fdChunks(0)` so commands that need no stdin never read it).
 */
export type StdinSource = string | Uint8Array | (() => AsyncIterable<Uint8Array | string>);

/** 1 MiB: a netconf with a large prevResult is a few KiB; anything near this is not a netconf. */
export const DEFAULT_MAX_STDIN_BYTES = 1024 * 1024;

const PARSE = "failed to parse CNI network configuration:";

/** Collects stdin; more than `maxBytes`, or not finished by `deadlineAt` (epoch ms), is an error (6). */
export async function readStdin(
  source: StdinSource,
  maxBytes: number,
  deadlineAt: number,
): Promise<Outcome<Uint8Array>> {
  if (typeof source === "string" || source instanceof Uint8Array) {
    const bytes = typeof source === "string" ? Buffer.from(source, "utf8") : source;
    return bytes.byteLength > maxBytes ? oversized(maxBytes) : { ok: true, value: bytes };
  }
  const iterator = source()[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">(resolve => {
    timer = setTimeout(() => resolve("timeout"), Math.max(0, deadlineAt - Date.now()));
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), timedOut]).catch(
        (error: unknown) => error as Error,
      );
      if (next instanceof Error)
        return fail("decoding_failure", `${PARSE} reading stdin: ${next.message}`, "stdin");
      if (next === "timeout")
        return fail(
          "decoding_failure",
          `${PARSE} stdin was not closed before the deadline`,
          "stdin",
        );
      if (next.done) break;
      const chunk =
        typeof next.value === "string" ? Buffer.from(next.value, "utf8") : Buffer.from(next.value);
      size += chunk.length;
      if (size > maxBytes) return oversized(maxBytes);
      chunks.push(chunk);
    }
    return { ok: true, value: Buffer.concat(chunks) };
  } finally {
    clearTimeout(timer);
    // Stops (and, for a stream, destroys) the source when we bailed out early; not awaited
    // because a stuck source must not hold up the answer.
    iterator.return?.()?.catch(() => undefined);
  }
}

function oversized(maxBytes: number): Outcome<never> {
  return fail("decoding_failure", `${PARSE} stdin exceeds ${maxBytes} bytes`, "stdin");
}

/** Pause before reading again when a non-blocking stdin has nothing yet. */
const EAGAIN_PAUSE_MS = 2;

/**
 * The chunks of a file descriptor until end of file, read with fs.read. Not `process.stdin`:
 * building that stream costs ~9 ms of CPU at every plugin start, for a few hundred bytes.
 */
export async function* fdChunks(fd: number, chunkSize = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (;;) {
    const buffer = Buffer.allocUnsafe(chunkSize);
    const count = await new Promise<number>((resolve, reject) => {
      const attempt = () =>
        read(fd, buffer, 0, chunkSize, null, (error, bytesRead) => {
          if (error?.code === "EAGAIN") setTimeout(attempt, EAGAIN_PAUSE_MS);
          else if (error) reject(error);
          else resolve(bytesRead);
        });
      attempt();
    });
    if (count === 0) return;
    yield buffer.subarray(0, count);
  }
}
