import assert from "node:assert/strict";
import { parseArgs } from "./args.js";
import { CliError } from "./cli-error.js";

describe("cli/args", () => {
  const ok: Array<[string, string[], unknown]> = [
    ["no command is help", [], { name: "help" }],
    ["--help anywhere wins", ["pools", "--help"], { name: "help" }],
    ["pools, all", ["pools"], { name: "pools", pools: [], output: "table" }],
    [
      "pools by name, json",
      ["pools", "a", "b", "-o", "json"],
      { name: "pools", pools: ["a", "b"], output: "json" },
    ],
    [
      "pools --output=json",
      ["pools", "--output=json"],
      { name: "pools", pools: [], output: "json" },
    ],
    [
      "explain a Pod",
      ["explain", "demo/web-0"],
      {
        name: "explain",
        target: { kind: "pod", namespace: "demo", name: "web-0" },
        nic: "eth0",
        defaultIPv4IPPool: [],
        defaultIPv6IPPool: [],
      },
    ],
    [
      "explain a file with every option",
      [
        "explain",
        "-f",
        "pod.yaml",
        "--nic",
        "net1",
        "--node=n2",
        "--default-ipv4-ippool",
        "a, b",
        "--default-ipv6-ippool",
        "c",
        "--cluster-network",
        "kube-system/macvlan",
      ],
      {
        name: "explain",
        target: { kind: "file", path: "pod.yaml" },
        nic: "net1",
        node: "n2",
        defaultIPv4IPPool: ["a", "b"],
        defaultIPv6IPPool: ["c"],
        clusterNetwork: "kube-system/macvlan",
      },
    ],
    [
      "release",
      ["release", "10.6.0.5"],
      { name: "release", address: "10.6.0.5", dryRun: false, force: false },
    ],
    [
      "release --dry-run",
      ["release", "--dry-run", "fd00::5"],
      { name: "release", address: "fd00::5", dryRun: true, force: false },
    ],
    [
      "release --force",
      ["release", "10.6.0.5", "--force"],
      { name: "release", address: "10.6.0.5", dryRun: false, force: true },
    ],
  ];
  for (const [name, argv, command] of ok) {
    it(`parses: ${name}`, () => assert.deepEqual(parseArgs(argv).command, command));
  }

  it("reads the global flags before or after the command", () => {
    assert.deepEqual(parseArgs(["--kubeconfig", "/k", "pools", "-n", "spiderpool"]).global, {
      kubeconfig: "/k",
      namespace: "spiderpool",
    });
    assert.deepEqual(parseArgs(["pools"]).global, { namespace: "kube-system" });
  });

  const refused: Array<[string, string[], RegExp]> = [
    ["an unknown command", ["frob"], /unknown command "frob"; commands: pools, explain, release/],
    ["an unknown flag", ["pools", "--wide"], /unknown flag "--wide"/],
    ["a flag of another command", ["pools", "--dry-run"], /pools: flag --dry-run does not apply/],
    ["a flag without its value", ["explain", "a/b", "--node"], /--node needs a value/],
    ["a flag followed by another flag", ["--kubeconfig", "--help"], /--kubeconfig needs a value/],
    ["a bad output format", ["pools", "-o", "yaml"], /-o must be table or json, got "yaml"/],
    ["explain without a Pod", ["explain"], /which Pod\? give NS\/POD or -f FILE/],
    [
      "explain with a Pod and a file",
      ["explain", "a/b", "-f", "x.yaml"],
      /either NS\/POD or -f FILE, not both/,
    ],
    ["explain with two Pods", ["explain", "a/b", "c/d"], /one Pod at a time, got 2/],
    ["a Pod without namespace", ["explain", "web-0"], /expected NAMESPACE\/POD, got "web-0"/],
    ["an invalid namespace", ["explain", "Demo/web"], /"Demo" is not a valid namespace name/],
    ["an invalid Pod name", ["explain", "demo/web_0"], /"web_0" is not a valid Pod name/],
    [
      "a cluster network that is not NS/NAME",
      ["explain", "a/b", "--cluster-network", "macvlan"],
      /--cluster-network must be NS\/NAME, got "macvlan"/,
    ],
    ["release without address", ["release"], /exactly one address, got 0/],
    [
      "release with two addresses",
      ["release", "10.0.0.1", "10.0.0.2"],
      /exactly one address, got 2/,
    ],
  ];
  for (const [name, argv, message] of refused) {
    it(`refuses ${name} with a usage error (exit 2)`, () => {
      assert.throws(
        () => parseArgs(argv),
        (e: unknown) =>
          e instanceof CliError &&
          e.code === "usage" &&
          e.exitCode === 2 &&
          message.test(e.message),
      );
    });
  }
});
