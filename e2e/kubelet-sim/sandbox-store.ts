import fs from "node:fs";
import path from "node:path";
import type { Conflist } from "./cni-runtime.js";

export interface AttachmentRecord {
  ifname: string;
  conflist: Conflist;
  runtimeConfig?: Record<string, unknown>;
  /** The ADD result, kept for DEL (prevResult) like a runtime's result cache. */
  result?: Record<string, unknown>;
}

/** What the node remembers about one pod sandbox; survives a simulator restart. */
export interface SandboxRecord {
  uid: string;
  namespace: string;
  name: string;
  containerId: string;
  netns: string;
  attachments: AttachmentRecord[];
}

/** One JSON file per sandbox, written before the first CNI ADD so a crash never forgets a netns. */
export class SandboxStore {
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  save(rec: SandboxRecord): void {
    const file = path.join(this.dir, `${rec.uid}.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(rec));
    fs.renameSync(`${file}.tmp`, file);
  }

  remove(uid: string): void {
    fs.rmSync(path.join(this.dir, `${uid}.json`), { force: true });
  }

  list(): SandboxRecord[] {
    return fs
      .readdirSync(this.dir)
      .filter(f => f.endsWith(".json"))
      .map(f => JSON.parse(fs.readFileSync(path.join(this.dir, f), "utf8")) as SandboxRecord);
  }
}
