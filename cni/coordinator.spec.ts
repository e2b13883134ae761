/**
 * The coordinator's own tests are Go (cni/coordinator/*_test.go): frames, probes between real
 * network namespaces joined by a veth pair, and the built executable against a fake agent. This
 * spec makes `npm test` run them. Without root the namespace tests skip, and say so.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

describe("cni coordinator (Go, cni/coordinator)", function () {
  it("passes go test: ARP/NDP probes in network namespaces, and the executable against a fake agent", function () {
    if (process.platform !== "linux") this.skip();
    this.timeout(300_000);
    const out = execFileSync("go", ["test", "-count=1", "-v", "./..."], {
      cwd: new URL("./coordinator", import.meta.url).pathname,
      env: { ...process.env, GOTOOLCHAIN: "local", CGO_ENABLED: "0" },
      encoding: "utf8",
    });
    assert.match(out, /^ok\s/m);
    const skipped = out.split("\n").filter(line => line.includes("skipped: needs root"));
    if (process.getuid?.() === 0)
      assert.deepEqual(skipped, [], "as root, no namespace test may skip");
    else if (skipped.length > 0)
      console.log(`    (not root: ${skipped.length} namespace tests skipped)`);
  });
});
