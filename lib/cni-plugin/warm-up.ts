/**
 * Runs the pure parsing path of an ADD on sample input while the start-up snapshot is being
 * built, so the functions every call needs are compiled into the snapshot instead of at each
 * start (cni/README.md, "Start-up"). No I/O: a snapshot may not hold open handles.
 */
import { IpamAddResponseSchema } from "../schemas/agent-api.js";
import { parseCommand, parseEnv } from "./args.js";
import { formatCniError, cniError } from "./cni-error.js";
import { DEFAULT_HOST_DIRS, parseHostDirs } from "./host-dirs.js";
import { parseHttpResponse } from "./http-response.js";
import { decodeNetConf, validateNetConf } from "./netconf.js";
import { toCniResult } from "./result.js";

const SAMPLE_ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "warm-up",
  CNI_NETNS: "/var/run/netns/warm-up",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
  CNI_ARGS:
    "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=warm-up;K8S_POD_INFRA_CONTAINER_ID=warm-up;K8S_POD_UID=warm-up",
};
const SAMPLE_CONF =
  '{"cniVersion":"1.0.0","name":"warm-up","type":"macvlan","ipam":{"type":"spiderpool","log_level":"info"}}';
const SAMPLE_BODY =
  '{"ips":[{"version":4,"address":"10.6.168.101/16","nic":"eth0","gateway":"10.6.0.1"}],"routes":[{"ifName":"eth0","dst":"0.0.0.0/0","gw":"10.6.0.1"}]}';
const SAMPLE_ANSWER = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${SAMPLE_BODY.length}\r\n\r\n${SAMPLE_BODY}`;

/** Exercises env, netconf, answer framing, answer schema and result shaping once; returns nothing. */
export function warmUp(): void {
  parseCommand(SAMPLE_ENV);
  parseEnv(SAMPLE_ENV, "ADD");
  const json = decodeNetConf(Buffer.from(SAMPLE_CONF));
  parseHostDirs('{"logDir":"/var/log/spidernet","runDir":"/var/run/spidernet"}', "warm-up");
  if (json.ok) validateNetConf(json.value, DEFAULT_HOST_DIRS);
  const answer = parseHttpResponse(Buffer.from(SAMPLE_ANSWER));
  const parsed = IpamAddResponseSchema.safeParse(
    JSON.parse(answer.ok ? answer.value.body.toString("utf8") : "{}"),
    { reportInput: true },
  );
  if (parsed.success) JSON.stringify(toCniResult(parsed.data, "eth0", "1.0.0"));
  formatCniError(cniError("internal", "warm-up"), "1.0.0");
}
