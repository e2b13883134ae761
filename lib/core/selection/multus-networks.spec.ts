import assert from "node:assert/strict";
import {
  parseNetworkSelections,
  resolveNicNetwork,
  type NicNetworkInput,
} from "./multus-networks.js";

const DEFAULT_NET = "v1.multus-cni.io/default-network";
const NETWORKS = "k8s.v1.cni.cncf.io/networks";

describe("multus-networks", () => {
  describe("parseNetworkSelections", () => {
    const good: Array<[string, Array<{ namespace: string; name: string; interface: string }>]> = [
      ["macvlan", [{ namespace: "pod-ns", name: "macvlan", interface: "" }]],
      [
        "kube-system/macvlan@net5, sriov",
        [
          { namespace: "kube-system", name: "macvlan", interface: "net5" },
          { namespace: "pod-ns", name: "sriov", interface: "" },
        ],
      ],
      [
        '[{"name":"a","namespace":"x","interface":"eth9"},{"Name":"b","ips":["10.0.0.1","fd00::/64"],"mac":"02:00:00:00:00:01"}]',
        [
          { namespace: "x", name: "a", interface: "eth9" },
          { namespace: "pod-ns", name: "b", interface: "" },
        ],
      ],
      [' [ {"name":"a"} ] ', [{ namespace: "pod-ns", name: "a", interface: "" }]],
    ];
    for (const [value, expected] of good)
      it(value, () =>
        assert.deepEqual(parseNetworkSelections(value, "pod-ns"), { ok: true, value: expected }),
      );

    const bad: Array<[string, string]> = [
      ["", "parsePodNetworkAnnotation: , pod-ns"],
      [
        "a/b/c",
        "parsePodNetworkAnnotation: parsePodNetworkObjectName: Invalid network object (failed at '/')",
      ],
      [
        "a@b@c",
        "parsePodNetworkAnnotation: parsePodNetworkObjectName: Invalid network object (failed at '@')",
      ],
      [
        "Macvlan",
        "parsePodNetworkAnnotation: parsePodNetworkObjectName: Failed to parse: one or more items did not match comma-delimited format (must consist of lower case alphanumeric characters). Must start and end with an alphanumeric character), mismatch @ 'Macvlan'",
      ],
      [
        "macvlan@averyveryverylongname",
        "parsePodNetworkAnnotation: parsePodNetworkObjectName: Failed to parse interface name: must be less than 15 chars and not contain '/' or spaces. interface name 'averyveryverylongname'",
      ],
      [
        '{"name":"a"}',
        "parsePodNetworkAnnotation: failed to parse pod Network Attachment Selection Annotation JSON format: json: cannot unmarshal object into Go value of type []*v1.NetworkSelectionElement",
      ],
      [
        '[{"name":"a","mac":"zz"}]',
        "parsePodNetworkAnnotation: failed to mac: address zz: invalid MAC address",
      ],
      ['[{"name":"a","ips":["10.0.0.300"]}]', 'failed to parse IP address "10.0.0.300"'],
      [
        '[{"name":"a","ips":["10.0.0.0/33"]}]',
        'failed to parse CIDR "10.0.0.0/33": invalid CIDR address: 10.0.0.0/33',
      ],
    ];
    for (const [value, message] of bad)
      it(JSON.stringify(value), () =>
        assert.deepEqual(parseNetworkSelections(value, "pod-ns"), { ok: false, error: message }),
      );
  });

  describe("resolveNicNetwork", () => {
    const base: NicNetworkInput = {
      nic: "eth0",
      podNamespace: "pod-ns",
      podAnnotations: {},
      agentNamespace: "spiderpool",
    };
    const cases: Array<[why: string, input: Partial<NicNetworkInput>, expected: unknown]> = [
      [
        "eth0 from the default-network annotation",
        { podAnnotations: { [DEFAULT_NET]: "kube-system/macvlan" } },
        { ok: true, value: { namespace: "kube-system", name: "macvlan" } },
      ],
      [
        "eth0, bare name: agent namespace",
        { podAnnotations: { [DEFAULT_NET]: "macvlan" } },
        { ok: true, value: { namespace: "spiderpool", name: "macvlan" } },
      ],
      [
        "eth0 from MULTUS_CLUSTER_NETWORK",
        { clusterNetwork: "kube-system/calico" },
        { ok: true, value: { namespace: "kube-system", name: "calico" } },
      ],
      [
        "annotation wins over the cluster network",
        { clusterNetwork: "kube-system/calico", podAnnotations: { [DEFAULT_NET]: "x/y" } },
        { ok: true, value: { namespace: "x", name: "y" } },
      ],
      [
        "unnamed index 0 is the first NIC",
        { nic: "0", clusterNetwork: "kube-system/calico" },
        { ok: true, value: { namespace: "kube-system", name: "calico" } },
      ],
      ["eth0 with nothing configured", {}, { ok: false, error: { code: "cluster_network_unset" } }],
      [
        "empty cluster network is unset",
        { clusterNetwork: "" },
        { ok: false, error: { code: "cluster_network_unset" } },
      ],
      [
        "eth0 with an empty JSON list",
        { podAnnotations: { [DEFAULT_NET]: "[]" } },
        {
          ok: false,
          error: {
            code: "invalid_network_annotation",
            message: `failed to parse Annotation '${DEFAULT_NET}' value '[]': empty result`,
          },
        },
      ],
      [
        "net1: first element, default name",
        { nic: "net1", podAnnotations: { [NETWORKS]: "a,b" } },
        { ok: true, value: { namespace: "pod-ns", name: "a" } },
      ],
      [
        "net2: second element",
        { nic: "net2", podAnnotations: { [NETWORKS]: "a,other/b" } },
        { ok: true, value: { namespace: "other", name: "b" } },
      ],
      [
        "named interface",
        { nic: "data", podAnnotations: { [NETWORKS]: "a,b@data" } },
        { ok: true, value: { namespace: "pod-ns", name: "b" } },
      ],
      [
        "unnamed index 2",
        { nic: "2", podAnnotations: { [NETWORKS]: "a,b@data" } },
        { ok: true, value: { namespace: "pod-ns", name: "b" } },
      ],
      [
        "no element for the NIC",
        { nic: "net3", podAnnotations: { [NETWORKS]: "a,b" } },
        {
          ok: false,
          error: {
            code: "no_network_for_nic",
            message:
              "unknown: no matched multus object for NIC 'net3'. The multus network-attachments: a,b",
          },
        },
      ],
      [
        "no networks annotation",
        { nic: "net1" },
        {
          ok: false,
          error: {
            code: "invalid_network_annotation",
            message: "failed to parse pod network annotation: parsePodNetworkAnnotation: , pod-ns",
          },
        },
      ],
    ];
    for (const [why, input, expected] of cases)
      it(why, () => assert.deepEqual(resolveNicNetwork({ ...base, ...input }), expected));
  });
});
