import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** Runs `ip` synchronously; throws with ip's own message. */
export function ip(...args: string[]): string {
  try {
    return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(" ")}: ${(err.stderr ?? err.message).trim()}`);
  }
}

export async function ipAsync(...args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync("ip", args, { encoding: "utf8" });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(" ")}: ${(err.stderr ?? err.message).trim()}`);
  }
}

export function listNetns(): string[] {
  return ip("netns", "list")
    .split("\n")
    .map(l => l.split(" ")[0] ?? "")
    .filter(Boolean);
}

export function deleteNetnsWithPrefix(prefix: string): number {
  let n = 0;
  for (const ns of listNetns()) {
    if (ns.startsWith(prefix)) {
      try {
        ip("netns", "delete", ns);
        n++;
      } catch {
        // Raced with another deleter; the listing after this shows what is left.
      }
    }
  }
  return n;
}

/** Addresses configured on `ifname` inside `netns`, as `a.b.c.d/len` strings (global scope only). */
export async function addressesIn(netns: string, ifname: string): Promise<string[]> {
  const out = await ipAsync("-j", "-n", netns, "addr", "show", "dev", ifname);
  const links = JSON.parse(out) as {
    addr_info?: { local: string; prefixlen: number; scope: string }[];
  }[];
  return links.flatMap(l =>
    (l.addr_info ?? []).filter(a => a.scope === "global").map(a => `${a.local}/${a.prefixlen}`),
  );
}
