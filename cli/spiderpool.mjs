#!/usr/bin/env node
// `bin` entry of package.json: runs the TypeScript CLI through tsx, from any directory.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
