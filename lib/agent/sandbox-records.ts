import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { ObservedSandbox } from "../core/lifecycle/sandbox-evidence.js";
import { z } from "zod";
import { SandboxRecordSchema, type SandboxRecord } from "../schemas/sandbox-record.js";
import type { Logger } from "../logger.js";
import { netnsInode, probeNetns } from "./netns-probe.js";

/** At most this many records per node: far more sandboxes than a node runs (the kubelet's default is 110 Pods). */
export const MAX_SANDBOX_RECORDS = 2048;

/** A typed failure of the record store; `code` says which. */
export class SandboxRecordError extends Error {
  constructor(
    readonly code: "records_full" | "write_failed",
    message: string,
  ) {
    super(message);
    this.name = "SandboxRecordError";
  }
}

/** What an ADD tells about its attachment. */
export interface AttachmentArgs {
  containerID: string;
  ifName: string;
  netNamespace: string;
  podNamespace: string;
  podName: string;
  podUID: string;
  networkName?: string;
}

/**
 * The agent's durable memory of the sandbox attachments it served (containerID, ifName, netns
 * and its inode, Pod, addresses), one small JSON file per attachment under
 * `<run dir>/sandboxes/<node>/`, written atomically (a temporary file renamed over the old one),
 * so an agent restart keeps it and a crash leaves the old or the new record, never half of one. A run directory on tmpfs is forgotten on reboot, with the sandboxes it described.
 * Bounded: MAX_SANDBOX_RECORDS, and records nobody needs any more are dropped by `prune`
 * (docs/adr/0008-sandbox-confirmation.md).
 */
export class SandboxRecords {
  readonly #byKey = new Map<string, SandboxRecord>();
  /** Records of unknown fate whose Pod UID held no claim at a prune → when that was first seen. */
  readonly #unclaimedSince = new Map<string, number>();
  readonly dir: string;
  /**
   * From when (epoch ms, API server clock) every sandbox this agent served is recorded: claims made
   * earlier may belong to sandboxes nobody recorded (docs/adr/0008-sandbox-confirmation.md).
   */
  #since = 0;

  constructor(
    runDir: string,
    nodeName: string,
    private readonly log: Logger,
    /** The API server's clock: `since` is compared with claims' creationTimestamp. */
    private readonly serverNow: () => number,
    private readonly max = MAX_SANDBOX_RECORDS,
    private readonly now: () => number = Date.now,
  ) {
    this.dir = path.join(runDir, "sandboxes", nodeName);
  }

  /**
   * Reads what an earlier run left. A file that does not parse is removed and logged: it cannot
   * be trusted, and what it described is unknown from then on (`since` moves to now).
   */
  load(): this {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    let lost = false;
    const sinceFile = path.join(this.dir, SINCE_FILE);
    try {
      this.#since = z
        .strictObject({ since: z.number().int().nonnegative() })
        .parse(JSON.parse(fs.readFileSync(sinceFile, "utf8"))).since;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT")
        this.log.warn("sandbox records: start time unreadable; counting from now", {
          file: sinceFile,
        });
      lost = true;
    }
    for (const f of fs.readdirSync(this.dir)) {
      const file = path.join(this.dir, f);
      if (f === SINCE_FILE) continue;
      if (!f.endsWith(".json")) {
        fs.rmSync(file, { force: true }); // a temporary file of a write cut short
        continue;
      }
      try {
        const rec = SandboxRecordSchema.parse(JSON.parse(fs.readFileSync(file, "utf8")));
        if (fileName(rec.containerID, rec.ifName) !== f)
          throw new Error("file name does not match its attachment");
        this.#byKey.set(f, rec);
      } catch (e) {
        this.log.warn("sandbox record unreadable; dropped (its addresses wait for the GC bound)", {
          file,
          err: e,
        });
        fs.rmSync(file, { force: true });
        lost = true;
      }
    }
    if (lost) {
      // The server clock may lag the server by a round trip and a second; a claim made just
      // before this moment must not look newer (lib/core/base/server-clock.ts).
      this.#since = this.serverNow() + SINCE_MARGIN_MS;
      writeAtomically(sinceFile, JSON.stringify({ since: this.#since }));
    }
    return this;
  }

  /** Claims made at or after this time (API server clock) were all recorded if served here. */
  get since(): number {
    return this.#since;
  }

  get size(): number {
    return this.#byKey.size;
  }

  list(): SandboxRecord[] {
    return [...this.#byKey.values()];
  }

  /**
   * Before an ADD claims anything: from here on a sweep sees this attachment's namespace and keeps
   * the Pod's addresses while it exists, even if the Pod is deleted while the ADD runs. Throws
   * `records_full` when the store is full of records still needed (the ADD fails and is retried).
   */
  async begin(a: AttachmentArgs): Promise<void> {
    const key = fileName(a.containerID, a.ifName);
    const old = this.#byKey.get(key);
    if (!old && this.#byKey.size >= this.max) {
      throw new SandboxRecordError(
        "records_full",
        `the agent's sandbox records are full (${this.max}); sandboxes of Pods that are gone must be torn down first`,
      );
    }
    await this.#write({
      version: 1,
      containerID: a.containerID,
      ifName: a.ifName,
      netns: a.netNamespace,
      netnsInode: old && old.netns === a.netNamespace ? old.netnsInode : netnsInode(a.netNamespace),
      network: a.networkName ?? "",
      podNamespace: a.podNamespace,
      podName: a.podName,
      podUID: a.podUID,
      addresses: old?.podUID === a.podUID ? old.addresses : [],
      released: false,
      at: this.now(),
    });
  }

  /** After the ADD: the addresses the attachment was given. */
  async complete(containerID: string, ifName: string, addresses: string[]): Promise<void> {
    const rec = this.#byKey.get(fileName(containerID, ifName));
    if (rec)
      await this.#write({
        ...rec,
        addresses: [...new Set([...rec.addresses, ...addresses])].slice(0, 16),
      });
  }

  /** The runtime said the attachment is gone (its CNI DEL). */
  async released(containerID: string, ifName: string): Promise<void> {
    const rec = this.#byKey.get(fileName(containerID, ifName));
    if (rec && !rec.released) await this.#write({ ...rec, released: true });
  }

  /**
   * A CNI GC listed what the runtime still has of `network` (all networks when empty): every other
   * attachment of it is gone. Records of another or an unknown network are not its to judge.
   */
  async collected(valid: ReadonlySet<string>, network: string): Promise<void> {
    for (const rec of this.list()) {
      if (rec.released || valid.has(`${rec.containerID}/${rec.ifName}`)) continue;
      if (network && rec.network !== network) continue;
      await this.#write({ ...rec, released: true });
    }
  }

  /** Every record with its namespace looked at now. */
  observe(): ObservedSandbox[] {
    return this.list().map(r => ({
      containerID: r.containerID,
      ifName: r.ifName,
      podUID: r.podUID,
      addresses: r.addresses,
      released: r.released,
      netns: probeNetns(r.netns, r.netnsInode),
      netnsPath: r.netns,
    }));
  }

  /**
   * Drops records that can no longer matter: their Pod UID holds no claim on this node any more
   * and their sandbox is known gone (released by the runtime, or its namespace absent). A record
   * whose namespace still exists stays, since its addresses may be claimed again under a new UID.
   * One whose namespace cannot be looked at ("unknown") goes once its Pod UID has held no claim
   * for `unknownAfterMs` (the watcher's `gc.readyNodeReleaseAfterSeconds`): by then its addresses
   * went back whatever the record said, so keeping it would only make every later holder of those
   * addresses wait for the bound too (docs/adr/0008-sandbox-confirmation.md).
   */
  prune(claimedUIDs: ReadonlySet<string>, unknownAfterMs = Infinity): number {
    let n = 0;
    const now = this.now();
    for (const [key, r] of this.#byKey) {
      if (claimedUIDs.has(r.podUID)) {
        this.#unclaimedSince.delete(key);
        continue;
      }
      if (!r.released) {
        const netns = probeNetns(r.netns, r.netnsInode);
        if (netns === "present") continue;
        if (netns === "unknown") {
          // Counted from when this run first saw the UID without claims: a restart starts over,
          // which only keeps the record longer.
          const since = this.#unclaimedSince.get(key) ?? now;
          this.#unclaimedSince.set(key, since);
          if (now - since < unknownAfterMs) continue;
        }
      }
      fs.rmSync(path.join(this.dir, key), { force: true });
      this.#byKey.delete(key);
      this.#unclaimedSince.delete(key);
      n++;
    }
    return n;
  }

  async #write(rec: SandboxRecord): Promise<void> {
    const key = fileName(rec.containerID, rec.ifName);
    const file = path.join(this.dir, key);
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    try {
      // Written whole, then renamed over the old one: a reader (the next agent) sees the old or
      // the new record, never half. No fsync: the records must survive the agent, not the machine
      // — a crash of the agent keeps the page cache, and a power loss ends the sandboxes they
      // describe (a file it leaves empty does not parse, and counts as lost).
      await fs.promises.writeFile(tmp, JSON.stringify(rec), { flag: "wx", mode: 0o600 });
      await fs.promises.rename(tmp, file);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw new SandboxRecordError(
        "write_failed",
        `cannot write sandbox record ${file}: ${(e as Error).message}`,
      );
    }
    this.#byKey.set(key, rec);
  }
}

const SINCE_FILE = "since.json";
const SINCE_MARGIN_MS = 2000;

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** File name of an attachment: a hash, so no runtime-given string becomes a path. */
function fileName(containerID: string, ifName: string): string {
  return `${crypto.createHash("sha256").update(`${containerID}\0${ifName}`).digest("hex").slice(0, 40)}.json`;
}
