#!/usr/bin/env node
// The `slipway` command. Slipway ships as TypeScript source; tsx compiles it on load.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
