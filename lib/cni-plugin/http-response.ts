/**
 * Parses the bytes of one HTTP/1.1 answer read until the agent closed the connection: status
 * line, headers, and a body framed by Content-Length, chunked encoding, or the close itself.
 * Pure, so the framing rules are tested without a socket (lib/cni-plugin/http-response.spec.ts).
 */

/**
 * An answer: status, lower-cased headers (last one wins), body bytes. `framed` is true when
 * Content-Length or chunked encoding says the body is complete; otherwise only the close does.
 */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly framed: boolean;
}

/** `{ ok: false, reason }` says what was wrong with the bytes, for the CNI error's text. */
export type ParsedResponse = { ok: true; value: HttpResponse } | { ok: false; reason: string };

const HEADER_END = Buffer.from("\r\n\r\n");
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/;

/**
 * Parses what the agent sent so far. While the connection is open an error may only mean "not
 * all there yet"; once it closed, the error is final.
 */
export function parseHttpResponse(bytes: Buffer): ParsedResponse {
  const end = bytes.indexOf(HEADER_END);
  if (end < 0)
    return {
      ok: false,
      reason:
        bytes.length === 0
          ? "the agent closed the connection without an answer"
          : "the answer ended inside its headers",
    };
  const lines = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const status = STATUS_LINE.exec(lines[0] ?? "");
  if (!status)
    return {
      ok: false,
      reason: `not an HTTP status line: ${JSON.stringify((lines[0] ?? "").slice(0, 80))}`,
    };
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0)
      return { ok: false, reason: `malformed header line: ${JSON.stringify(line.slice(0, 80))}` };
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = bytes.subarray(end + HEADER_END.length);
  const body = frameBody(rest, headers);
  if (!body.ok) return body;
  const framed =
    headers["content-length"] !== undefined || headers["transfer-encoding"] !== undefined;
  return { ok: true, value: { status: Number(status[1]), headers, body: body.value, framed } };
}

function frameBody(
  rest: Buffer,
  headers: Record<string, string>,
): { ok: true; value: Buffer } | { ok: false; reason: string } {
  if (/\bchunked\b/i.test(headers["transfer-encoding"] ?? "")) return decodeChunked(rest);
  const declared = headers["content-length"];
  if (declared === undefined) return { ok: true, value: rest };
  if (!/^\d+$/.test(declared))
    return { ok: false, reason: `invalid Content-Length ${JSON.stringify(declared)}` };
  const length = Number(declared);
  if (rest.length < length)
    return {
      ok: false,
      reason: `the answer was cut short: ${rest.length} of ${length} body bytes`,
    };
  return { ok: true, value: rest.subarray(0, length) };
}

function decodeChunked(data: Buffer): { ok: true; value: Buffer } | { ok: false; reason: string } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) return { ok: false, reason: "the chunked answer was cut short" };
    const sizeText = data.subarray(at, lineEnd).toString("latin1").split(";")[0]?.trim() ?? "";
    if (!/^[0-9a-fA-F]+$/.test(sizeText))
      return { ok: false, reason: `invalid chunk size ${JSON.stringify(sizeText.slice(0, 20))}` };
    const size = Number.parseInt(sizeText, 16);
    if (size === 0) return { ok: true, value: Buffer.concat(parts) };
    const start = lineEnd + 2;
    if (data.length < start + size + 2)
      return { ok: false, reason: "the chunked answer was cut short" };
    parts.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}
