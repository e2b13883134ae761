import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "../logger.js";
import { netnsInode, probeNetns } from "./netns-probe.js";
import { SandboxRecordError, SandboxRecords } from "./sandbox-records.js";

/** A network namespace every Linux process can see: its own. */
const OWN_NETNS = "/proc/self/ns/net";

describe("SandboxRecords (files in a temporary run directory)", () => {
  let runDir: string;
  const warnings: string[] = [];
  const log = {
    warn: (msg: string) => warnings.push(msg),
    info: () => undefined,
    debug: () => undefined,
  } as unknown as Logger;
  let serverNow = Date.parse("2026-12-07T12:00:00Z");
  const open = (max?: number) =>
    new SandboxRecords(runDir, "node-1", log, () => serverNow, max).load();
  const attachment = (
    containerID: string,
    podUID = "u1",
    netNamespace = OWN_NETNS,
    networkName = "macvlan",
  ) => ({
    containerID,
    ifName: "eth0",
    netNamespace,
    podNamespace: "default",
    podName: "p",
    podUID,
    networkName,
  });

  beforeEach(() => {
    runDir = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-records-"));
    warnings.length = 0;
  });
  afterEach(() => fs.rmSync(runDir, { recursive: true, force: true }));

  it("keeps what an ADD recorded across a restart (a new store reading the same directory)", async () => {
    const a = open();
    await a.begin(attachment("c1"));
    await a.complete("c1", "eth0", ["10.0.0.5"]);
    const b = open();
    assert.deepEqual(
      b.list().map(r => [r.containerID, r.podUID, r.addresses, r.released]),
      [["c1", "u1", ["10.0.0.5"], false]],
    );
    assert.equal(b.observe()[0]?.netns, "present", "its namespace is the one recorded");
    assert.deepEqual(
      fs.readdirSync(a.dir).filter(f => f.endsWith(".tmp")),
      [],
      "no temporary file is left",
    );
  });

  it("counts its start from the first load, the API server's clock plus a margin, and keeps it across restarts", () => {
    const first = open().since;
    assert.equal(first, serverNow + 2000);
    serverNow += 3_600_000;
    assert.equal(open().since, first);
  });

  it("drops a record that does not parse, and from then on no earlier claim counts as recorded", async () => {
    const a = open();
    await a.begin(attachment("c1"));
    const before = a.since;
    const [file] = fs.readdirSync(a.dir).filter(f => f !== "since.json");
    fs.writeFileSync(path.join(a.dir, file!), '{"version":1,"containerID":');
    serverNow += 60_000;
    const b = open();
    assert.equal(b.size, 0);
    assert.ok(b.since > before, "since moved to now");
    assert.equal(warnings.length, 1);
  });

  it("refuses a record that names another attachment than its file", async () => {
    const a = open();
    await a.begin(attachment("c1"));
    await a.begin(attachment("c2"));
    const [f1, f2] = fs.readdirSync(a.dir).filter(f => f !== "since.json");
    fs.copyFileSync(path.join(a.dir, f1!), path.join(a.dir, f2!));
    assert.equal(open().size, 1);
  });

  it("is bounded: a new attachment beyond the limit fails with records_full; an old one may still be updated", async () => {
    const a = open(2);
    await a.begin(attachment("c1"));
    await a.begin(attachment("c2"));
    await assert.rejects(
      a.begin(attachment("c3")),
      (e: unknown) => e instanceof SandboxRecordError && e.code === "records_full",
    );
    await a.begin(attachment("c2"));
    assert.equal(a.size, 2);
  });

  it("names files by a hash: no container ID becomes a path", async () => {
    const a = open();
    await a.begin(attachment("../../../etc/evil"));
    assert.deepEqual(fs.readdirSync(path.join(runDir, "sandboxes")), ["node-1"]);
    assert.ok(fs.readdirSync(a.dir).every(f => /^([0-9a-f]{40}\.json|since\.json)$/.test(f)));
  });

  it("marks an attachment released on DEL, and on a CNI GC that does not list it (only of its own network)", async () => {
    const a = open();
    await a.begin(attachment("c1"));
    await a.begin(attachment("c2"));
    await a.begin(attachment("c3", "u3", OWN_NETNS, "other-net"));
    await a.released("c1", "eth0");
    await a.collected(new Set(["c1/eth0"]), "macvlan");
    const released = Object.fromEntries(
      open()
        .list()
        .map(r => [r.containerID, r.released]),
    );
    assert.deepEqual(released, { c1: true, c2: true, c3: false });
  });

  it("prunes only records nobody needs: released or namespace gone, and no claim of their Pod left", async () => {
    const a = open();
    await a.begin(attachment("live", "u1"));
    await a.begin(attachment("del-claimed", "u2"));
    await a.begin(attachment("del-free", "u3"));
    await a.begin(attachment("unseen", "u4", path.join(runDir, "not-a-netns")));
    await a.released("del-claimed", "eth0");
    await a.released("del-free", "eth0");
    const dropped = a.prune(new Set(["u2"]));
    assert.equal(dropped, 1);
    assert.deepEqual(
      a
        .list()
        .map(r => r.containerID)
        .sort(),
      ["del-claimed", "live", "unseen"],
    );
    assert.equal(open().size, 3, "the dropped file is gone from disk too");
  });

  it("drops a record of unknown fate only once its Pod UID has held no claim for the bound", async () => {
    let now = 1_000_000;
    const a = new SandboxRecords(
      runDir,
      "node-1",
      log,
      () => serverNow,
      undefined,
      () => now,
    ).load();
    await a.begin(attachment("unseen", "u4", path.join(runDir, "not-a-netns")));
    await a.begin(attachment("unseen-claimed", "u5", path.join(runDir, "not-a-netns-2")));
    assert.equal(a.prune(new Set(["u4", "u5"]), 600_000), 0, "claimed: kept");
    now += 700_000;
    assert.equal(
      a.prune(new Set(["u5"]), 600_000),
      0,
      "unclaimed from now on: the bound starts here",
    );
    now += 599_000;
    assert.equal(a.prune(new Set(["u5"]), 600_000), 0, "within the bound: kept");
    now += 1_000;
    assert.equal(a.prune(new Set(["u5"]), 600_000), 1, "the bound passed: dropped");
    assert.deepEqual(
      a.list().map(r => r.containerID),
      ["unseen-claimed"],
    );
    assert.equal(a.prune(new Set(), Infinity), 0, "without a bound nothing of unknown fate goes");
  });
});

describe("netns probe", () => {
  it("sees its own network namespace as present, under its inode only", () => {
    const ino = netnsInode(OWN_NETNS);
    assert.ok(ino !== null && ino > 0);
    assert.equal(probeNetns(OWN_NETNS, ino), "present");
    assert.equal(probeNetns(OWN_NETNS, ino + 1), "absent", "another namespace at the same path");
  });

  it("a path that is gone or no namespace is absent; one never seen as a namespace is unknown", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "netns-probe-"));
    try {
      const plain = path.join(dir, "plain");
      fs.writeFileSync(plain, "");
      assert.equal(netnsInode(plain), null);
      assert.equal(probeNetns(plain, 4026531840), "absent");
      assert.equal(probeNetns(path.join(dir, "gone"), 4026531840), "absent");
      assert.equal(probeNetns(plain, null), "unknown");
      assert.equal(probeNetns("", 4026531840), "unknown");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
