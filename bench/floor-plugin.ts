/**
 * The runtime floor of the storm benchmark: a CNI IPAM plugin packaged exactly like ours (esbuild
 * bundle inside a Node single executable) that answers ADD with the address the harness
 * precomputed into `ipam.address`, without an agent and without any API request. Whatever ours
 * costs above this is the price of allocating, not of being a Node process.
 */
import { readFileSync } from "node:fs";

const VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

interface FloorConf {
  cniVersion?: string;
  ipam?: { address?: string; gateway?: string };
}

function answer(text: string, code: number): never {
  process.stdout.write(text);
  process.exit(code);
}

function fail(cniVersion: string, code: number, msg: string): never {
  answer(JSON.stringify({ cniVersion, code, msg }), 1);
}

const command = process.env.CNI_COMMAND ?? "";
if (command === "VERSION")
  answer(JSON.stringify({ cniVersion: "1.1.0", supportedVersions: VERSIONS }), 0);

let conf: FloorConf;
try {
  conf = JSON.parse(readFileSync(0, "utf8")) as FloorConf;
} catch (e) {
  fail("1.1.0", 6, `failed to parse CNI network configuration: ${(e as Error).message}`);
}
const cniVersion = conf.cniVersion ?? "1.1.0";
if (command === "DEL" || command === "CHECK" || command === "GC" || command === "STATUS")
  answer("", 0);
if (command !== "ADD") fail(cniVersion, 4, `unknown CNI_COMMAND ${JSON.stringify(command)}`);
const address = conf.ipam?.address;
if (!address)
  fail(
    cniVersion,
    7,
    "failed to load CNI network configuration: ipam.address: expected a CIDR, got nothing",
  );
const gateway = conf.ipam?.gateway;
answer(JSON.stringify({ cniVersion, ips: [{ address, ...(gateway ? { gateway } : {}) }] }), 0);
