import assert from "node:assert/strict";
import { parseArgs } from "./args.js";
import { CliError } from "./cli-error.js";

describe("cli/args", () => {
  const ok: Array<[string, string[], unknown]> = [
    ["no command is help", [], { name: "help" }],
    ["--help after a command is its help", ["pools", "--help"], { name: "help", topic: "pools" }],
    ["-h before a command", ["-h", "check"], { name: "help", topic: "check" }],
    ["help COMMAND", ["help", "release"], { name: "help", topic: "release" }],
    ["--version", ["--version"], { name: "version" }],
    ["pools, all", ["pools"], { name: "pools", pools: [] }],
    ["pools by name", ["pools", "a", "b", "-o", "json"], { name: "pools", pools: ["a", "b"] }],
    ["subnets", ["subnets", "s1"], { name: "subnets", subnets: ["s1"] }],
    ["ip", ["ip", "10.6.0.5", "-o=yaml"], { name: "ip", address: "10.6.0.5" }],
    ["check, all namespaces", ["check"], { name: "check" }],
    ["check -n", ["check", "-n", "demo"], { name: "check", namespace: "demo" }],
    [
      "explain a Pod by name, namespace from -n",
      ["explain", "web-0", "-n", "demo"],
      {
        name: "explain",
        target: { kind: "pod", namespace: "demo", name: "web-0" },
        nic: "eth0",
        defaultIPv4IPPool: [],
        defaultIPv6IPPool: [],
      },
    ],
    [
      "explain deploy/NAME without -n (the context's namespace, resolved later)",
      ["explain", "deploy/web"],
      {
        name: "explain",
        target: { kind: "deployment", name: "web" },
        nic: "eth0",
        defaultIPv4IPPool: [],
        defaultIPv6IPPool: [],
      },
    ],
    [
      "explain statefulset/NAME",
      ["explain", "--namespace=db", "statefulset/pg"],
      {
        name: "explain",
        target: { kind: "statefulset", namespace: "db", name: "pg" },
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
        "--agent-namespace",
        "spiderpool",
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
      {
        name: "release",
        target: { kind: "address", address: "10.6.0.5" },
        dryRun: false,
        force: false,
      },
    ],
    [
      "release --dry-run --force",
      ["release", "--dry-run", "fd00::5", "--force"],
      {
        name: "release",
        target: { kind: "address", address: "fd00::5" },
        dryRun: true,
        force: true,
      },
    ],
    [
      "release --from-report",
      ["release", "--from-report", "r.json", "--dry-run"],
      { name: "release", target: { kind: "report", path: "r.json" }, dryRun: true, force: false },
    ],
  ];
  for (const [name, argv, command] of ok) {
    it(`parses: ${name}`, () => assert.deepEqual(parseArgs(argv).command, command));
  }

  it("reads the global flags before or after the command; -n is the objects' namespace", () => {
    assert.deepEqual(
      parseArgs(["--kubeconfig", "/k", "--context", "prod", "check", "-n", "demo", "-o", "json"])
        .global,
      {
        kubeconfig: "/k",
        context: "prod",
        namespace: "demo",
        agentNamespace: "kube-system",
        output: "json",
      },
    );
    assert.deepEqual(parseArgs(["pools"]).global, {
      agentNamespace: "kube-system",
      output: "table",
    });
  });

  const refused: Array<[string, string[], RegExp]> = [
    [
      "an unknown command",
      ["frob"],
      /unknown command "frob"; commands: pools, subnets, ip, check, explain, release/,
    ],
    ["help of an unknown command", ["help", "frob"], /unknown command "frob"/],
    ["an unknown flag", ["pools", "--wide"], /^unknown flag "--wide"$/],
    ["an unknown flag with a value", ["pools", "--wide=1"], /^unknown flag "--wide"$/],
    ["an unknown short flag", ["pools", "-x"], /^unknown flag "-x"$/],
    ["a flag of another command", ["pools", "--dry-run"], /pools: flag --dry-run does not apply/],
    [
      "-n where objects are cluster-scoped",
      ["pools", "-n", "x"],
      /pools: flag -n\/--namespace does not apply/,
    ],
    ["a flag without its value", ["explain", "a", "--node"], /--node needs a value/],
    ["a flag followed by another flag", ["--kubeconfig", "--help"], /--kubeconfig needs a value/],
    ["a value for a switch", ["release", "--dry-run=yes", "10.0.0.1"], /--dry-run takes no value/],
    ["an empty context", ["pools", "--context="], /--context needs a value/],
    ["a bad output format", ["pools", "-o", "wide"], /-o must be table, json or yaml, got "wide"/],
    ["--version with a command", ["pools", "--version"], /--version takes no command/],
    ["explain without a workload", ["explain"], /which workload\? give POD, pod\/NAME/],
    [
      "explain with a Pod and a file",
      ["explain", "b", "-f", "x.yaml"],
      /either a workload or -f FILE, not both/,
    ],
    ["explain -f with -n", ["explain", "-f", "x.yaml", "-n", "a"], /-n does not apply to -f/],
    ["explain with two Pods", ["explain", "a", "b"], /one workload at a time, got 2/],
    [
      "the old NS/POD form",
      ["explain", "demo/web-0"],
      /unknown kind "demo" in "demo\/web-0": explain takes pod\/NAME, deployment\/NAME or statefulset\/NAME \(the namespace goes in -n\)/,
    ],
    [
      "an invalid namespace",
      ["explain", "web", "-n", "Demo"],
      /-n: "Demo" is not a valid namespace name/,
    ],
    ["an invalid Pod name", ["explain", "web_0"], /"web_0" is not a valid pod name/],
    [
      "a cluster network that is not NS/NAME",
      ["explain", "b", "--cluster-network", "macvlan"],
      /--cluster-network must be NS\/NAME, got "macvlan"/,
    ],
    ["ip without address", ["ip"], /ip: give exactly one address, got 0/],
    ["check with an argument", ["check", "x"], /check: takes no arguments/],
    ["release without address", ["release"], /exactly one address or --from-report FILE, got 0/],
    ["release with two addresses", ["release", "10.0.0.1", "10.0.0.2"], /got 2 arguments/],
    [
      "release with an address and a report",
      ["release", "10.0.0.1", "--from-report", "r"],
      /either an address or --from-report FILE, not both/,
    ],
    [
      "release --from-report --force",
      ["release", "--from-report", "r", "--force"],
      /--force does not apply to --from-report/,
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
