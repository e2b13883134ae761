/**
 * Our components' images, built here (oci-build.ts) because their usual bases cannot be pulled on
 * these machines: the agent image with the files, entrypoint and user of
 * containers/agent/Containerfile, and Pepr's controller image as Pepr 1.1.4's Dockerfile makes it
 * (/app/node_modules with pepr and its production dependencies, user 65532, `node` as the
 * entrypoint the generated Deployments pass `controller.js <hash>` to). Both stand on the same
 * base in place of the official Node image: the Node 24 runtime this process runs on, the glibc
 * libraries it links, and busybox for the CNI installer's shell.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { COORDINATOR_NAME, NODE_SUFFIX, SHIM_NAME } from "../../cni/build.js";
import { AGENT_BUNDLE, AGENT_KUBE_AUTH_BUNDLE, KUBE_AUTH_NAME } from "../../scripts/build-agent.js";
import { addBusybox, busyboxHash } from "./images.js";
import { buildOciImage, fileHash } from "./oci-build.js";
import { repoRoot } from "./paths.js";
import { StepError } from "./step-error.js";

/** Bumped when the way these images are put together changes. */
const RECIPE = "1";
const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** The user Pepr's controller image runs as (its Dockerfile's `USER 65532`). */
const PEPR_UID = 65532;

/** The agent image's name and tag as manifests/kustomization.yaml sets them. */
export function agentImageRef(tag?: string): string {
  const k = parse(fs.readFileSync(path.join(repoRoot, "manifests/kustomization.yaml"), "utf8")) as {
    images?: { name: string; newName?: string; newTag?: string }[];
  };
  const entry = k.images?.find(i => i.name === "spiderpool-agent");
  if (!entry?.newName || !entry.newTag)
    throw new StepError(
      "agent image: name",
      "manifests/kustomization.yaml has no images entry for spiderpool-agent with newName and newTag",
    );
  return `${entry.newName}:${tag ?? entry.newTag}`;
}

/** The image `pepr build` and `pepr deploy` write into the module's manifests (lib/assets/assets.ts). */
export function peprControllerRef(): string {
  return `ghcr.io/defenseunicorns/pepr/controller:v${peprVersion()}`;
}

function peprVersion(): string {
  const p = path.join(repoRoot, "node_modules/pepr/package.json");
  return (JSON.parse(fs.readFileSync(p, "utf8")) as { version: string }).version;
}

interface NodeBase {
  node: string;
  /** Libraries `node` links, by the path the loader looks them up at. */
  libs: string[];
  inputs: Record<string, string>;
}

let base: NodeBase | undefined;

/** The Node runtime and its libraries, as they are on this machine. */
function nodeBase(step: string): NodeBase {
  if (base) return base;
  const node = process.execPath;
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 24)
    throw new StepError(step, `the images need the Node 24 runtime, this is ${process.version}`);
  const out = execFileSync("ldd", [node], { encoding: "utf8" });
  const libs = [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map(m => m[1]!);
  // Name resolution loads these at run time (getaddrinfo), ldd does not list them.
  const libDir = path.dirname(libs.find(l => /\/libc\.so/.test(l)) ?? "/lib/x86_64-linux-gnu/x");
  for (const extra of ["libnss_files.so.2", "libnss_dns.so.2", "libresolv.so.2"])
    if (fs.existsSync(path.join(libDir, extra))) libs.push(path.join(libDir, extra));
  const inputs: Record<string, string> = { node: fileHash(node), busybox: busyboxHash(step) };
  for (const l of libs) inputs[l] = fileHash(l);
  base = { node, libs, inputs };
  return base;
}

function fillBase(rootfs: string, b: NodeBase, step: string): void {
  addBusybox(rootfs, step);
  const bin = path.join(rootfs, "usr/local/bin");
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync(b.node, path.join(bin, "node"));
  fs.chmodSync(path.join(bin, "node"), 0o755);
  for (const l of b.libs) {
    const to = path.join(rootfs, l);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(fs.realpathSync(l), to);
    fs.chmodSync(to, 0o755);
  }
  fs.writeFileSync(path.join(rootfs, "etc/nsswitch.conf"), "hosts: files dns\n");
  fs.appendFileSync(path.join(rootfs, "etc/passwd"), "node:x:1000:1000::/home/node:/bin/sh\n");
  fs.appendFileSync(path.join(rootfs, "etc/group"), "node:x:1000:\n");
}

/**
 * The agent image from the files cluster:up builds: the agent bundle, the CNI installer and the
 * plugin's three executables in `cniDir` (this machine's architecture only).
 */
export function buildAgentImage(cniDir: string, logPath: string, tag?: string): string {
  const ref = agentImageRef(tag);
  const step = `image ${ref}: build`;
  const b = nodeBase(step);
  const arch = process.arch === "arm64" ? "linux-arm64" : "linux-amd64";
  const installer = path.join(repoRoot, "containers/agent/install-cni.sh");
  const plugin = [`${SHIM_NAME}${NODE_SUFFIX}`, SHIM_NAME, COORDINATOR_NAME];
  for (const f of [
    AGENT_BUNDLE,
    AGENT_KUBE_AUTH_BUNDLE,
    installer,
    ...plugin.map(p => path.join(cniDir, p)),
  ])
    if (!fs.existsSync(f)) throw new StepError(step, `${f} is missing (npm run build)`);
  const inputs = {
    RECIPE,
    ...b.inputs,
    bundle: fileHash(AGENT_BUNDLE),
    kubeAuth: fileHash(AGENT_KUBE_AUTH_BUNDLE),
    installer: fileHash(installer),
    ...Object.fromEntries(plugin.map(p => [p, fileHash(path.join(cniDir, p))])),
  };
  return buildOciImage(
    {
      ref,
      inputs,
      config: {
        entrypoint: ["node", "/opt/spiderpool/agent/spiderpool-agent.cjs"],
        env: [PATH_ENV, "NODE_ENV=production"],
        workdir: "/",
        user: "0:0",
      },
      fill: rootfs => {
        fillBase(rootfs, b, step);
        const opt = path.join(rootfs, "opt/spiderpool");
        fs.mkdirSync(path.join(opt, "agent"), { recursive: true });
        fs.copyFileSync(AGENT_BUNDLE, path.join(opt, "agent/spiderpool-agent.cjs"));
        fs.copyFileSync(AGENT_KUBE_AUTH_BUNDLE, path.join(opt, "agent", KUBE_AUTH_NAME));
        fs.copyFileSync(installer, path.join(opt, "install-cni.sh"));
        const cni = path.join(opt, "cni", arch);
        fs.mkdirSync(cni, { recursive: true });
        for (const p of plugin) {
          fs.copyFileSync(path.join(cniDir, p), path.join(cni, p));
          fs.chmodSync(path.join(cni, p), 0o755);
        }
      },
    },
    logPath,
  );
}

/**
 * Packages the controller image leaves out, as Pepr's Dockerfile removes them after
 * `npm ci --omit=dev --omit=peer`: they serve its CLI (build, init), not the controller.
 */
const CLI_ONLY = [
  /^@types\//,
  /^(@esbuild|@ts-morph|@npmcli|@pkgjs|@glideapps|@jsep-plugin|@sigstore)\//,
  /^(esbuild|fast-glob|ts-morph|quicktype-core|commander|bin-links|cacache)$/,
];

/**
 * Directories (relative to node_modules) of `pepr` and every package its `dependencies` reach,
 * found the way Node resolves them: the dependent's own node_modules first, then upwards.
 */
export function peprProductionPackages(nodeModules: string): Map<string, string> {
  const found = new Map<string, string>(); // relative dir -> version
  const visit = (rel: string) => {
    if (found.has(rel)) return;
    const pkg = JSON.parse(
      fs.readFileSync(path.join(nodeModules, rel, "package.json"), "utf8"),
    ) as {
      version: string;
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    found.set(rel, pkg.version);
    const deps = { ...pkg.dependencies, ...pkg.optionalDependencies };
    for (const dep of Object.keys(deps)) {
      if (CLI_ONLY.some(r => r.test(dep))) continue;
      let at: string | undefined;
      for (let dir = rel; ; dir = parentPackageDir(dir)) {
        const candidate = dir ? `${dir}/node_modules/${dep}` : dep;
        if (fs.existsSync(path.join(nodeModules, candidate, "package.json"))) {
          at = candidate;
          break;
        }
        if (!dir) break;
      }
      // An optional dependency for another platform is simply not installed.
      if (at) visit(at);
      else if (!pkg.optionalDependencies?.[dep])
        throw new StepError(
          "image pepr controller: dependencies",
          `${rel} needs ${dep}, not installed`,
        );
    }
  };
  visit("pepr");
  return found;
}

/** `a/node_modules/@s/b` → `a`, `a` → "" (the top node_modules). */
function parentPackageDir(rel: string): string {
  const i = rel.lastIndexOf("/node_modules/");
  return i < 0 ? "" : rel.slice(0, i);
}

/** Pepr's controller image, from node_modules/pepr and its production dependencies. */
export function buildPeprControllerImage(logPath: string): string {
  const ref = peprControllerRef();
  const step = `image ${ref}: build`;
  const b = nodeBase(step);
  const nodeModules = fs.realpathSync(path.join(repoRoot, "node_modules"));
  const packages = peprProductionPackages(nodeModules);
  return buildOciImage(
    {
      ref,
      inputs: { RECIPE, ...b.inputs, packages: [...packages].sort() },
      config: { entrypoint: ["node"], env: [PATH_ENV], workdir: "/app", user: `${PEPR_UID}` },
      fill: rootfs => {
        fillBase(rootfs, b, step);
        const app = path.join(rootfs, "app/node_modules");
        for (const rel of packages.keys()) {
          const from = path.join(nodeModules, rel);
          fs.cpSync(from, path.join(app, rel), {
            recursive: true,
            // Nested node_modules are packages of their own (copied when reached); the
            // TypeScript sources are dropped as Pepr's Dockerfile drops them.
            filter: src =>
              !(src !== from && path.basename(src) === "node_modules") &&
              !(src.endsWith(".ts") && fs.statSync(src).isFile()),
          });
        }
        // The controller writes the module it unpacks into /app (runtime/controller.ts).
        execFileSync("chown", ["-R", `${PEPR_UID}:${PEPR_UID}`, path.join(rootfs, "app")]);
      },
    },
    logPath,
  );
}
