// The verify worker's entry (see verify-parallel.ts): worker threads do not inherit the TypeScript
// loader the command line runs under, so register tsx here, then load the worker itself.
import { register } from "tsx/esm/api";

register();
await import("./verify-worker.ts");
