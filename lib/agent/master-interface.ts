/**
 * The master of the NIC being added and its addresses on the host, for `match_master_subnet`
 * (docs/usage/match-master-subnet.md). The agent runs in the host's network namespace
 * (hostNetwork), as Spiderpool's does, so "on the host" is where this process is.
 *
 * Which master: an SR-IOV netconf carries the VF's PCI address as `deviceID` (Multus puts it
 * there from the device plugin); the VF's `physfn` link in sysfs leads to the PF and its name —
 * Spiderpool reaches the same PCI address through the VF inside the Pod. Without `deviceID`,
 * the main plugin's `master` (macvlan, ipvlan) is the master. Both are only read.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { MasterFacts } from "../core/selection/master-subnet.js";

export interface MasterSource {
  readonly deviceID?: string;
  readonly master?: string;
}

export interface MasterReadOptions {
  /** `/sys` unless a spec points elsewhere. */
  readonly sysfsRoot?: string;
  /**
   * Test knob only (`SPIDERPOOL_TEST_HOST_NETNS`): the network namespace that stands for the
   * host, where the simulated node's interfaces are. Read through `nsenter`.
   */
  readonly hostNetns?: string;
}

// A PCI address as sysfs names it (domain:bus:device.function); anything else never reaches a path.
const PCI_ADDRESS = /^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;
// Linux IFNAMSIZ and dev_valid_name: 1–15 bytes, no "/", no whitespace, not "." or "..".
const IFNAME = /^[^/\s:]{1,15}$/;

export async function readMaster(
  source: MasterSource,
  opts: MasterReadOptions = {},
): Promise<MasterFacts> {
  const name = masterName(source, opts.sysfsRoot ?? "/sys");
  if ("problem" in name) return name;
  const addresses = await (opts.hostNetns
    ? addressesIn(opts.hostNetns, name.name)
    : Promise.resolve(addressesHere(name.name)));
  if (addresses === undefined)
    return {
      problem: `failed to get addr of "${name.name}" on the host: no interface of that name with an address`,
    };
  return { name: name.name, addresses };
}

function masterName(source: MasterSource, sysfs: string): { name: string } | { problem: string } {
  const { deviceID, master } = source;
  if (deviceID !== undefined && deviceID !== "") {
    if (!PCI_ADDRESS.test(deviceID))
      return { problem: `deviceID "${deviceID}" is not a PCI address (dddd:bb:dd.f)` };
    try {
      const devices = path.join(sysfs, "bus/pci/devices");
      const pf = path.basename(fs.readlinkSync(path.join(devices, deviceID, "physfn")));
      const names = fs.readdirSync(path.join(devices, pf, "net")).sort();
      if (names[0] === undefined) throw new Error(`PF ${pf} has no network interface`);
      return { name: names[0] };
    } catch (e) {
      return {
        problem: `failed to get pf device id from vf "${deviceID}": ${(e as Error).message}`,
      };
    }
  }
  if (master !== undefined && master !== "") {
    if (!IFNAME.test(master) || master === "." || master === "..")
      return { problem: `master "${master}" is not an interface name` };
    return { name: master };
  }
  return {
    problem:
      'match_master_subnet needs the master: the netconf has neither "deviceID" (SR-IOV) nor "master"',
  };
}

type Interfaces = Record<string, { address: string; internal?: boolean }[] | undefined>;

/** Addresses of `name` in this process's network namespace; undefined when it has none. */
function addressesHere(name: string): string[] | undefined {
  return pick(os.networkInterfaces() as Interfaces, name);
}

const PRINT_INTERFACES =
  "process.stdout.write(JSON.stringify(require('node:os').networkInterfaces()))";

function addressesIn(netns: string, name: string): Promise<string[] | undefined> {
  return new Promise(resolve => {
    execFile(
      "nsenter",
      [`--net=${netns}`, process.execPath, "-e", PRINT_INTERFACES],
      { timeout: 5000, maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error) return resolve(undefined);
        try {
          resolve(pick(JSON.parse(stdout) as Interfaces, name));
        } catch {
          resolve(undefined);
        }
      },
    );
  });
}

function pick(all: Interfaces, name: string): string[] | undefined {
  const entries = all[name];
  return entries === undefined || entries.length === 0 ? undefined : entries.map(e => e.address);
}
