/**
 * Composition root of the Pepr module. In-cluster the port is Pepr's fixed 3000; the local
 * cluster sets PORT so several processes can coexist on one machine.
 */
import { PeprModule } from "pepr";
import cfg from "./package.json";
import { Spiderpool } from "./capabilities/spiderpool.js";
import { installDenialStatusCodes, rememberDenialCode } from "./capabilities/denial-status.js";
import { startAdmissionContext } from "./capabilities/admission-context.js";
import { startWatcherControllers } from "./lib/watcher/start.js";

const building = process.env.PEPR_MODE === "build";
const watcher = process.env.PEPR_WATCH_MODE === "true" || process.env.PEPR_MODE === "dev";
// Pepr serves the admission bindings in every process but the watcher's (PEPR_WATCH_MODE=true).
const admission = process.env.PEPR_WATCH_MODE !== "true";

if (!building) installDenialStatusCodes();
const module = new PeprModule(cfg, [Spiderpool], {
  deferStart: true,
  afterHook: rememberDenialCode,
});

// In build mode the constructor only reports bindings to the CLI; starting would hang the build.
if (!building) {
  // An admission process listens once its caches have loaded (bounded), so that the first request
  // finds them filled (docs/adr/0010-admission-cache.md).
  const serving = admission ? startAdmissionContext() : Promise.resolve();
  void serving.then(() => module.start(Number(process.env.PORT ?? 3000)));
  if (watcher) {
    startWatcherControllers().catch((e: Error) => {
      process.stderr.write(`spiderpool watcher: refusing to start: ${e.message}\n`);
      process.exit(2);
    });
  }
}
