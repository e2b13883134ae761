import { strict as assert } from "node:assert";
import { parseHttpResponse } from "./http-response.js";

const text = (s: string) => Buffer.from(s, "latin1");

describe("cni/http-response", () => {
  const complete: Array<[string, string, number, string, boolean]> = [
    ["Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 200, "{}", true],
    [
      "Content-Length with bytes after the body",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}junk",
      200,
      "{}",
      true,
    ],
    [
      "chunked",
      'HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n"all\r\n6;x=y\r\n used"\r\n0\r\n\r\n',
      500,
      '"all used"',
      true,
    ],
    [
      "body ended by the close",
      "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\nno such route",
      404,
      "no such route",
      false,
    ],
    ["status line without a reason", "HTTP/1.1 204\r\n\r\n", 204, "", false],
  ];
  for (const [name, raw, status, body, framed] of complete) {
    it(`reads ${name}`, () => {
      const parsed = parseHttpResponse(text(raw));
      assert.ok(parsed.ok, JSON.stringify(parsed));
      assert.equal(parsed.value.status, status);
      assert.equal(parsed.value.body.toString("latin1"), body);
      assert.equal(parsed.value.framed, framed);
    });
  }

  it("lower-cases header names and keeps values", () => {
    const parsed = parseHttpResponse(
      text("HTTP/1.1 500 x\r\nX-Spiderpool-Error-Code: ip_used_out\r\nContent-Length: 0\r\n\r\n"),
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.value.headers["x-spiderpool-error-code"], "ip_used_out");
  });

  const broken: Array<[string, string, RegExp]> = [
    ["nothing", "", /closed the connection without an answer/],
    ["headers cut short", "HTTP/1.1 200 OK\r\nContent-Le", /ended inside its headers/],
    ["not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", /not an HTTP status line: "SSH-2.0-OpenSSH"/],
    [
      "a header without a colon",
      "HTTP/1.1 200 OK\r\nbogus\r\n\r\n",
      /malformed header line: "bogus"/,
    ],
    [
      "a body shorter than Content-Length",
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
      /cut short: 2 of 10 body bytes/,
    ],
    [
      "a Content-Length that is not a number",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n{}",
      /invalid Content-Length "-1"/,
    ],
    [
      "chunks without the last chunk",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n",
      /chunked answer was cut short/,
    ],
    [
      "a chunk size that is not hex",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
      /invalid chunk size "zz"/,
    ],
  ];
  for (const [name, raw, reason] of broken) {
    it(`refuses ${name}`, () => {
      const parsed = parseHttpResponse(text(raw));
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.reason, reason);
    });
  }
});
