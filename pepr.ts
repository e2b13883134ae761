/**
 * Composition root of the Pepr module. In-cluster the port is Pepr's fixed 3000; the local
 * cluster sets PORT so several modules and tests can coexist on one machine.
 */
import { PeprModule } from "pepr";
import cfg from "./package.json";
import { Spiderpool } from "./capabilities/spiderpool.js";

const module = new PeprModule(cfg, [Spiderpool], { deferStart: true });

// In build mode the constructor only reports bindings to the CLI; starting would hang the build.
if (process.env.PEPR_MODE !== "build") module.start(Number(process.env.PORT ?? 3000));
