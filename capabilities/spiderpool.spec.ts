import assert from "node:assert/strict";
import fs from "node:fs";
import type { Capability } from "pepr";
import type { EventInbox, WatchedKind, WatchedPhase } from "../lib/watcher/event-inbox.js";

type Binding = Capability["bindings"][number];

/** Rows of the table in docs/architecture.md, "What reacts to each kind": kinds → binding text. */
function documentedBindings(): Map<string, string> {
  const doc = fs.readFileSync(new URL("../docs/architecture.md", import.meta.url), "utf8");
  const section = doc.slice(doc.indexOf("## What reacts to each kind"));
  const table = section.slice(0, section.indexOf("\n## "));
  const out = new Map<string, string>();
  for (const line of table.split("\n").filter(l => l.startsWith("| ") && !l.startsWith("| kind"))) {
    const [kinds, binding] = line.split(" | ").map(c => c.replace(/^\| /, ""));
    for (const kind of kinds!.split(", ")) out.set(kind, binding!);
  }
  return out;
}

/** The phases a binding's event stands for, as Pepr's watch processor maps them. */
const PHASES_OF: Record<string, WatchedPhase[]> = {
  CREATEORUPDATE: ["ADDED", "MODIFIED"],
  DELETE: ["DELETED"],
};

describe("capability: Watch bindings hand their events to lib/watcher", () => {
  let watches: Binding[] = [];
  let watchEvents: EventInbox;
  before(async function () {
    // Pepr registers Watch bindings only in watch, dev or build mode, decided when pepr is first
    // loaded; build mode also keeps the admission bindings and starts nothing.
    process.env.PEPR_MODE ??= "build";
    process.env.LOG_LEVEL ??= "warn"; // Pepr logs every binding it registers
    const { Spiderpool } = await import("./spiderpool.js");
    // Imported the way the capability imports it: a static import of this spec may be another
    // instance of the module (mocha requires spec files), with receivers the capability never sees.
    ({ watchEvents } = await import("../lib/watcher/event-inbox.js"));
    watches = Spiderpool.bindings.filter(b => b.isWatch);
    assert.ok(
      watches.length > 0,
      "no Watch binding registered: pepr was loaded before PEPR_MODE was set",
    );
  });

  it("every kind the architecture table gives a Watch binding has one per documented event, and no other kind has any", () => {
    const documented = new Map<string, string[]>();
    for (const [kind, text] of documentedBindings()) {
      const watch = /Watch ([a-z/ ]+?)(?:$|[;,(|])/.exec(text)?.[1]?.trim();
      if (!watch) continue;
      documented.set(
        kind,
        watch === "create/update and delete" ? ["CREATEORUPDATE", "DELETE"] : ["CREATEORUPDATE"],
      );
    }
    assert.ok(documented.size >= 10, `table lists ${documented.size} watched kinds`);
    const bound = new Map<string, string[]>();
    for (const b of watches) bound.set(b.kind.kind, [...(bound.get(b.kind.kind) ?? []), b.event]);
    for (const events of bound.values()) events.sort();
    assert.deepEqual(
      Object.fromEntries([...bound].sort()),
      Object.fromEntries([...documented].sort()),
    );
  });

  it("every Watch binding delivers each of its phases to the controller registered for its kind", async () => {
    for (const b of watches) {
      const kind = b.kind.kind as WatchedKind;
      const got: string[] = [];
      const off = watchEvents.register(kind, (o, phase) => got.push(`${o.metadata.name} ${phase}`));
      try {
        const phases = PHASES_OF[b.event];
        assert.ok(phases, `${kind}: unexpected event ${b.event}`);
        for (const phase of phases)
          await b.watchCallback!({ metadata: { name: "x", namespace: "ns" } }, phase as never);
        assert.deepEqual(
          got,
          phases.map(p => `x ${p}`),
          `${kind} ${b.event}: the handler did not deliver (a no-op binding?)`,
        );
      } finally {
        off();
      }
    }
  });

  it("before any controller registers, a Watch handler drops the event without throwing", async () => {
    const before = watchEvents.dropped;
    for (const b of watches)
      await b.watchCallback!(
        { metadata: { name: "early" } },
        (b.event === "DELETE" ? "DELETED" : "ADDED") as never,
      );
    assert.equal(watchEvents.dropped - before, watches.length);
  });

  it("targets the API each kind is served at", () => {
    const paths = new Set(watches.map(b => `${b.kind.group}/${b.kind.version}/${b.kind.plural}`));
    assert.deepEqual([...paths].sort(), [
      "apps/v1/daemonsets",
      "apps/v1/deployments",
      "apps/v1/replicasets",
      "apps/v1/statefulsets",
      "batch/v1/cronjobs",
      "batch/v1/jobs",
      "spiderpool.spidernet.io/v2beta1/spiderendpoints",
      "spiderpool.spidernet.io/v2beta1/spiderippools",
      "spiderpool.spidernet.io/v2beta1/spidermultusconfigs",
      "spiderpool.spidernet.io/v2beta1/spiderreservedips",
      "spiderpool.spidernet.io/v2beta1/spidersubnets",
    ]);
  });
});
