import assert from "node:assert/strict";
import { parseCniArgs, parseCommand, parseEnv, type CniCommand } from "./args.js";

const BASE = {
  CNI_CONTAINERID: "c0ffee",
  CNI_NETNS: "/var/run/netns/p1",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};

describe("cni/args", () => {
  describe("parseCommand", () => {
    for (const command of ["ADD", "DEL", "CHECK", "VERSION", "GC", "STATUS"]) {
      it(`accepts ${command}`, () =>
        assert.deepEqual(parseCommand({ CNI_COMMAND: command }), { ok: true, value: command }));
    }
    it("treats unset and empty as 'print the about text'", () => {
      assert.deepEqual(parseCommand({}), { ok: true, value: undefined });
      assert.deepEqual(parseCommand({ CNI_COMMAND: "" }), { ok: true, value: undefined });
    });
    for (const bad of ["add", "ADD ", "UPDATE", "DEL\n"]) {
      it(`rejects ${JSON.stringify(bad)} naming the variable and value`, () => {
        const r = parseCommand({ CNI_COMMAND: bad });
        assert.equal(r.ok, false);
        if (r.ok) return;
        assert.equal(r.error.code, 4);
        assert.match(r.error.msg, /CNI_COMMAND/);
        assert.ok(r.error.msg.includes(JSON.stringify(bad)), r.error.msg);
      });
    }
  });

  describe("parseEnv: required variables per command (libcni skel)", () => {
    const cases: Array<[CniCommand, string, string]> = [
      ["ADD", "CNI_NETNS", "required env variables [CNI_NETNS] missing"],
      ["ADD", "CNI_CONTAINERID", "required env variables [CNI_CONTAINERID] missing"],
      ["ADD", "CNI_IFNAME", "required env variables [CNI_IFNAME] missing"],
      ["ADD", "CNI_PATH", "required env variables [CNI_PATH] missing"],
      ["CHECK", "CNI_NETNS", "required env variables [CNI_NETNS] missing"],
      ["DEL", "CNI_IFNAME", "required env variables [CNI_IFNAME] missing"],
      ["GC", "CNI_PATH", "required env variables [CNI_PATH] missing"],
      ["STATUS", "CNI_PATH", "required env variables [CNI_PATH] missing"],
    ];
    for (const [command, dropped, msg] of cases) {
      it(`${command} without ${dropped}`, () => {
        const env: Record<string, string> = { ...BASE };
        delete env[dropped];
        const r = parseEnv(env, command);
        assert.deepEqual(r, {
          ok: false,
          error: { name: "invalid_environment", code: 4, msg, details: dropped },
        });
      });
    }
    it("lists every missing variable at once", () => {
      const r = parseEnv({}, "ADD");
      assert.equal(
        r.ok || r.error.msg,
        "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing",
      );
    });
    it("DEL tolerates a missing netns (the sandbox may be gone)", () => {
      const env: Record<string, string> = { ...BASE };
      delete env.CNI_NETNS;
      const r = parseEnv(env, "DEL");
      assert.equal(r.ok && r.value.netns, "");
    });
    it("GC and STATUS need no container", () => {
      assert.equal(parseEnv({ CNI_PATH: "/opt/cni/bin" }, "GC").ok, true);
      assert.equal(parseEnv({ CNI_PATH: "/opt/cni/bin" }, "STATUS").ok, true);
    });
  });

  describe("parseEnv: values", () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        "CNI_CONTAINERID",
        "-leading-dash",
        /CNI_CONTAINERID: invalid characters in containerID "-leading-dash"/,
      ],
      ["CNI_CONTAINERID", "has space", /CNI_CONTAINERID: .*"has space"/],
      ["CNI_CONTAINERID", "a/b", /CNI_CONTAINERID: .*"a\/b"/],
      [
        "CNI_IFNAME",
        "eth0123456789abc",
        /CNI_IFNAME: interface name is longer than 15 characters: "eth0123456789abc"/,
      ],
      ["CNI_IFNAME", "..", /CNI_IFNAME: interface name cannot be \. or \.\.: "\.\."/],
      ["CNI_IFNAME", "eth0:1", /CNI_IFNAME: .*"eth0:1"/],
      ["CNI_IFNAME", "eth 0", /CNI_IFNAME: .*"eth 0"/],
      ["CNI_IFNAME", "a/b", /CNI_IFNAME: .*"a\/b"/],
    ];
    for (const [name, value, msg] of cases) {
      it(`${name}=${JSON.stringify(value)}`, () => {
        const r = parseEnv({ ...BASE, [name]: value }, "ADD");
        assert.equal(r.ok, false);
        if (r.ok) return;
        assert.equal(r.error.code, 4);
        assert.equal(r.error.details, name);
        assert.match(r.error.msg, msg);
      });
    }
    it("reads a well-formed environment", () => {
      const r = parseEnv(
        { ...BASE, CNI_ARGS: "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=u-1" },
        "ADD",
      );
      assert.deepEqual(r, {
        ok: true,
        value: {
          command: "ADD",
          containerId: "c0ffee",
          netns: "/var/run/netns/p1",
          ifName: "eth0",
          args: {
            podNamespace: "default",
            podName: "web-0",
            podInfraContainerId: undefined,
            podUid: "u-1",
            ip: undefined,
            ignoreUnknown: false,
          },
        },
      });
    });
  });

  describe("parseCniArgs (libcni types.LoadArgs)", () => {
    const good: Array<[string, Record<string, unknown>]> = [
      ["", { ignoreUnknown: false }],
      [
        "K8S_POD_NAME=a;K8S_POD_NAMESPACE=b",
        { podName: "a", podNamespace: "b", ignoreUnknown: false },
      ],
      ["IgnoreUnknown=1;FOO=bar;K8S_POD_NAME=a", { podName: "a", ignoreUnknown: true }],
      ["FOO=bar;IgnoreUnknown=true", { ignoreUnknown: true }],
      ["IgnoreUnknown=TRUE;X=", { ignoreUnknown: true }],
      ["K8S_POD_NAME=a;K8S_POD_NAME=b", { podName: "b", ignoreUnknown: false }],
      ["K8S_POD_NAME=", { ignoreUnknown: false }],
      [
        "IP=10.6.1.9;K8S_POD_INFRA_CONTAINER_ID=abc",
        { ip: "10.6.1.9", podInfraContainerId: "abc", ignoreUnknown: false },
      ],
      ["IP=fd00::9;IgnoreUnknown=0", { ip: "fd00::9", ignoreUnknown: false }],
    ];
    for (const [text, expected] of good) {
      it(`accepts ${JSON.stringify(text)}`, () => {
        const r = parseCniArgs(text);
        assert.equal(r.ok, true, JSON.stringify(r));
        if (!r.ok) return;
        const present = Object.fromEntries(
          Object.entries(r.value).filter(([, v]) => v !== undefined),
        );
        assert.deepEqual(present, expected);
      });
    }
    const bad: Array<[string, string]> = [
      ["FOO=bar", `failed to load CNI ENV args: ARGS: unknown args ["FOO=bar"]`],
      [
        "FOO=bar;IgnoreUnknown=0;BAZ=1",
        `failed to load CNI ENV args: ARGS: unknown args ["FOO=bar" "BAZ=1"]`,
      ],
      ["k8s_pod_name=a", `failed to load CNI ENV args: ARGS: unknown args ["k8s_pod_name=a"]`],
      ["K8S_POD_NAME", `failed to load CNI ENV args: ARGS: invalid pair "K8S_POD_NAME"`],
      ["K8S_POD_NAME=a=b", `failed to load CNI ENV args: ARGS: invalid pair "K8S_POD_NAME=a=b"`],
      ["K8S_POD_NAME=a;", `failed to load CNI ENV args: ARGS: invalid pair ""`],
      ["IgnoreUnknown=yes", "boolean unmarshal error: invalid input yes"],
      ["IP=10.0.0.300", `error parsing value of pair "IP=10.0.0.300": invalid IP address`],
    ];
    for (const [text, msg] of bad) {
      it(`rejects ${JSON.stringify(text)}`, () => {
        const r = parseCniArgs(text);
        assert.equal(r.ok, false);
        if (r.ok) return;
        assert.equal(r.error.code, 4);
        assert.equal(r.error.details, "CNI_ARGS");
        assert.ok(r.error.msg.includes(msg), `${r.error.msg} should contain ${msg}`);
      });
    }
  });
  describe("K8S_POD_NAMESPACE / K8S_POD_NAME: Kubernetes names before any use", () => {
    const long = (n: number) => "a".repeat(n);
    const good: Array<[string, string]> = [
      ["kube-system", "coredns-5d78c9869d-abcde"],
      ["a", "a.b.c"],
      [long(63), `${long(63)}.${long(63)}.${long(63)}.${long(61)}`],
    ];
    for (const [ns, pod] of good) {
      it(`accepts ${ns.length > 20 ? `a ${ns.length}-character namespace` : ns}/${pod.length > 30 ? `a ${pod.length}-character name` : pod}`, () => {
        const r = parseCniArgs(`K8S_POD_NAMESPACE=${ns};K8S_POD_NAME=${pod}`);
        assert.deepEqual(r.ok && [r.value.podNamespace, r.value.podName], [ns, pod]);
      });
    }
    const bad: Array<[string, string, string]> = [
      ["K8S_POD_NAMESPACE", "../../api/v1/secrets", "not a namespace name"],
      ["K8S_POD_NAMESPACE", "Default", "not a namespace name"],
      ["K8S_POD_NAMESPACE", "a.b", "not a namespace name"],
      ["K8S_POD_NAMESPACE", long(64), "not a namespace name"],
      ["K8S_POD_NAMESPACE", "-x", "not a namespace name"],
      ["K8S_POD_NAME", "p/../../x", "not a Pod name"],
      ["K8S_POD_NAME", "p?watch", "not a Pod name"],
      ["K8S_POD_NAME", "p%2F", "not a Pod name"],
      ["K8S_POD_NAME", "UPPER", "not a Pod name"],
      ["K8S_POD_NAME", "x.", "not a Pod name"],
      ["K8S_POD_NAME", long(254), "not a Pod name"],
    ];
    for (const [key, value, text] of bad) {
      it(`refuses ${key}=${JSON.stringify(value.length > 40 ? `${value.slice(0, 10)}…(${value.length})` : value)} naming the variable and value (code 4)`, () => {
        const other = key === "K8S_POD_NAME" ? "K8S_POD_NAMESPACE=default" : "K8S_POD_NAME=p";
        const r = parseEnv({ ...BASE, CNI_ARGS: `${other};${key}=${value}` }, "ADD");
        assert.equal(r.ok, false);
        if (r.ok) return;
        assert.equal(r.error.code, 4);
        assert.equal(r.error.details, key);
        assert.ok(r.error.msg.includes(`${key}: ${text}`), r.error.msg);
        assert.ok(
          r.error.msg.includes(
            JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value),
          ),
          r.error.msg,
        );
      });
    }
  });
});
