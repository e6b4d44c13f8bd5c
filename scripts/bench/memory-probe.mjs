// Preloaded into a bench server (`node --import ./memory-probe.mjs server.ts`) when
// BENCH_MEMORY_FILE is set: appends the process's own memory figures as one JSON line every
// BENCH_MEMORY_INTERVAL_MS (default 1000), so the bench reads the heap, which /proc cannot show.
// With --expose-gc, each sample follows a full collection: the heap figure is then what is
// retained (what a leak grows), not where the collector happened to be.
import fs from "node:fs";

const file = process.env.BENCH_MEMORY_FILE;
if (file) {
  const every = Number(process.env.BENCH_MEMORY_INTERVAL_MS ?? 1000);
  const sample = () => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    fs.appendFileSync(file, `${JSON.stringify({ t: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external })}\n`);
  };
  sample();
  setInterval(sample, every).unref();
}
