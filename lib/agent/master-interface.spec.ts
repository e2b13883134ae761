import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readMaster } from "./master-interface.js";

describe("master-interface", () => {
  let sysfs: string;
  before(() => {
    // A VF 0000:3b:02.1 whose physfn is the PF 0000:3b:00.0 named enp59s0f0, as sysfs lays it out.
    sysfs = fs.mkdtempSync(path.join(os.tmpdir(), "sysfs-"));
    const devices = path.join(sysfs, "bus/pci/devices");
    fs.mkdirSync(path.join(devices, "0000:3b:00.0/net/enp59s0f0"), { recursive: true });
    fs.mkdirSync(path.join(devices, "0000:3b:02.1"), { recursive: true });
    fs.symlinkSync("../0000:3b:00.0", path.join(devices, "0000:3b:02.1/physfn"));
    fs.mkdirSync(path.join(devices, "0000:3b:00.1/net/lo"), { recursive: true });
    fs.mkdirSync(path.join(devices, "0000:3b:03.0"), { recursive: true });
    fs.symlinkSync("../0000:3b:00.1", path.join(devices, "0000:3b:03.0/physfn"));
  });
  after(() => fs.rmSync(sysfs, { recursive: true, force: true }));

  it("reads the addresses of the netconf's master in this network namespace", async () => {
    const facts = await readMaster({ master: "lo" });
    assert.ok("addresses" in facts, JSON.stringify(facts));
    assert.equal(facts.name, "lo");
    assert.ok(facts.addresses.includes("127.0.0.1"), facts.addresses.join(","));
  });

  it("finds the PF of an SR-IOV deviceID through sysfs, before any master", async () => {
    const facts = await readMaster(
      { deviceID: "0000:3b:03.0", master: "eth9" },
      { sysfsRoot: sysfs },
    );
    assert.ok("addresses" in facts, JSON.stringify(facts));
    assert.equal(facts.name, "lo");
    const missing = await readMaster({ deviceID: "0000:3b:02.1" }, { sysfsRoot: sysfs });
    assert.deepEqual(missing, {
      problem:
        'failed to get addr of "enp59s0f0" on the host: no interface of that name with an address',
    });
  });

  it("says why when there is no master to read", async () => {
    const cases: Array<[Parameters<typeof readMaster>[0], RegExp]> = [
      [{}, /netconf has neither "deviceID" \(SR-IOV\) nor "master"/],
      [{ deviceID: "../../etc" }, /deviceID "..\/..\/etc" is not a PCI address/],
      [{ deviceID: "0000:3b:09.0" }, /failed to get pf device id from vf "0000:3b:09.0"/],
      [{ master: "a/b" }, /master "a\/b" is not an interface name/],
      [{ master: "sixteen-chars-ab" }, /is not an interface name/],
      [{ master: "nosuchif0" }, /failed to get addr of "nosuchif0" on the host/],
    ];
    for (const [source, expected] of cases) {
      const facts = await readMaster(source, { sysfsRoot: sysfs });
      assert.ok("problem" in facts && expected.test(facts.problem), JSON.stringify(facts));
    }
  });

  it("reads through nsenter in the namespace that stands for the host (test knob)", async function () {
    if (process.getuid?.() !== 0) this.skip();
    const facts = await readMaster({ master: "lo" }, { hostNetns: `/proc/${process.pid}/ns/net` });
    assert.ok("addresses" in facts && facts.addresses.includes("127.0.0.1"), JSON.stringify(facts));
  });
});
