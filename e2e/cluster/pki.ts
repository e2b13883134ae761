import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { paths } from "./paths.js";
import { StepError } from "./step-error.js";

/** A client or serving certificate signed by the per-cluster CA. */
export interface Leaf {
  name: string;
  subject: string;
  usage: "serverAuth" | "clientAuth";
  san?: string;
}

/**
 * Identities a real cluster would have: the admin is in system:masters; the controller-manager
 * and scheduler use the users default RBAC binds, so RBAC gaps and API fairness show up in tests.
 */
const leaves: Leaf[] = [
  {
    name: "apiserver",
    subject: "/CN=kube-apiserver",
    usage: "serverAuth",
    san: "IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local",
  },
  { name: "admin", subject: "/O=system:masters/CN=e2e-admin", usage: "clientAuth" },
  { name: "kcm", subject: "/CN=system:kube-controller-manager", usage: "clientAuth" },
  { name: "scheduler", subject: "/CN=system:kube-scheduler", usage: "clientAuth" },
  {
    name: "webhook",
    subject: "/CN=localhost",
    usage: "serverAuth",
    san: "DNS:localhost,IP:127.0.0.1",
  },
];

function openssl(step: string, args: string[]): void {
  const log = paths.log("pki");
  try {
    const out = execFileSync("openssl", args, {
      cwd: paths.pki,
      stdio: ["ignore", "pipe", "pipe"],
    });
    fs.appendFileSync(log, out);
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    fs.appendFileSync(log, err.stderr ?? err.message);
    throw new StepError(`pki: ${step}`, "openssl failed", log);
  }
}

/** Generates the CA, the leaves and the service-account key pair with the openssl CLI. */
export function generatePki(): void {
  fs.mkdirSync(paths.pki, { recursive: true });
  openssl("ca", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "3650",
    "-subj",
    "/CN=spiderpool-e2e-ca",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]);
  for (const l of leaves) issueLeaf(l);
  openssl("service-account key", ["genrsa", "-out", "sa.key", "2048"]);
  openssl("service-account public key", ["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
}

/**
 * Signs one more leaf with the cluster's CA (a real node's kubelet client and serving
 * certificates); `<name>.crt` and `<name>.key` land in the PKI directory.
 */
export function issueLeaf(l: Leaf): void {
  openssl(`${l.name} key`, [
    "req",
    "-new",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    l.subject,
    "-keyout",
    `${l.name}.key`,
    "-out",
    `${l.name}.csr`,
  ]);
  const ext = [
    "basicConstraints=CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    `extendedKeyUsage=${l.usage}`,
    ...(l.san ? [`subjectAltName=${l.san}`] : []),
  ];
  fs.writeFileSync(path.join(paths.pki, `${l.name}.ext`), ext.join("\n") + "\n");
  openssl(`${l.name} cert`, [
    "x509",
    "-req",
    "-in",
    `${l.name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "825",
    "-extfile",
    `${l.name}.ext`,
    "-out",
    `${l.name}.crt`,
  ]);
}

/** Writes a kubeconfig for one client identity of the PKI. */
export function writeKubeconfig(file: string, apiPort: number, identity: string): void {
  const p = (f: string) => path.join(paths.pki, f);
  const yaml = `apiVersion: v1
kind: Config
clusters:
- name: spiderpool-e2e
  cluster:
    server: https://127.0.0.1:${apiPort}
    certificate-authority: ${p("ca.crt")}
users:
- name: ${identity}
  user:
    client-certificate: ${p(`${identity}.crt`)}
    client-key: ${p(`${identity}.key`)}
contexts:
- name: spiderpool-e2e
  context:
    cluster: spiderpool-e2e
    user: ${identity}
current-context: spiderpool-e2e
`;
  fs.writeFileSync(file, yaml, { mode: 0o600 });
}
