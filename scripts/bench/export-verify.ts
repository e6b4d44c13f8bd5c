// Audit export + offline verification at scale, on real PostgreSQL: seeds N sealed events, then
// for each view and format streams `exportTimeline` to a file (rows/s, the process's peak RSS) and
// verifies that file with `verifyExportFile` (no database), as `countersign audit verify --file` does.
//
//   npx tsx scripts/bench/export-verify.ts [--events 100000] [--filter type=review.approved] [--formats ndjson,csv] [--keep]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { createTestDatabase } from "../../e2e/support/servers";
import { closeDatabase, openDatabase, setDatabaseForProcess } from "@/db/client";
import { sealPendingAuditEvents } from "@/lib/audit/sealer";
import { exportTimeline, timelineQuery } from "@/lib/audit/timeline";
import type { Viewer } from "@/lib/auth/viewer";
import { resetEnvCache } from "@/lib/config/env";
import { verifyExportFile } from "@/lib/evidence/export-verify";
import { keyRing } from "@/lib/evidence/keys";
import { seedAuditEvents } from "./audit-seed";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    filter: { type: "string", multiple: true, default: ["", "type=review.approved"] },
    formats: { type: "string", default: "ndjson,csv" },
    keep: { type: "boolean", default: false },
  },
});

const auditor: Viewer = {
  sessionId: "bench",
  personId: "person-bench",
  identityId: "identity-bench",
  name: "Bench Auditor",
  email: "bench@acme.test",
  idp: "okta",
  emails: ["bench@acme.test"],
  groups: ["compliance"],
  roles: ["auditor"],
  authTime: null,
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "countersign-export-bench-"));
process.env.COUNTERSIGN_KEYS_DIR = path.join(tmp, "keys");
resetEnvCache();
const db = await createTestDatabase({ prefix: "countersign_exportbench", migrate: true });
try {
  const events = Number(values.events);
  let t = performance.now();
  await seedAuditEvents({ databaseUrl: db.url, events });
  console.log(`seeded ${events.toLocaleString("en")} sealed events in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const handle = await openDatabase({ databaseUrl: db.url, poolSize: 6 });
  setDatabaseForProcess(handle);
  const jwks = (await keyRing()).jwks;
  fs.writeFileSync(path.join(tmp, "jwks.json"), JSON.stringify(jwks));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  for (const filter of values.filter!) {
    const view = Object.fromEntries(new URLSearchParams(filter));
    for (const format of values.formats.split(",") as ("csv" | "ndjson")[]) {
      const file = path.join(tmp, `export-${filter.replace(/\W/g, "_") || "all"}.${format}`);
      peak = process.memoryUsage().rss;
      t = performance.now();
      const { stream } = await exportTimeline(auditor, timelineQuery.parse(view), format);
      await pipeline(Readable.fromWeb(stream as import("node:stream/web").ReadableStream), fs.createWriteStream(file));
      const exportSeconds = (performance.now() - t) / 1000;
      const exportPeak = peak;
      t = performance.now();
      peak = process.memoryUsage().rss;
      const v = await verifyExportFile(file, jwks);
      const verifySeconds = (performance.now() - t) / 1000;
      console.log(
        `${filter || "(all)"} ${format}: ${v.rows.toLocaleString("en")} rows, ${(fs.statSync(file).size / 1e6).toFixed(0)} MB — export ${exportSeconds.toFixed(1)} s ` +
          `(${Math.round(v.rows / exportSeconds).toLocaleString("en")} rows/s, peak RSS ${Math.round(exportPeak / 1e6)} MB), ` +
          `offline verify ${verifySeconds.toFixed(1)} s (peak RSS ${Math.round(peak / 1e6)} MB): ${v.ok ? "OK" : `FAILED ${JSON.stringify(v.failure)}`}`,
      );
      // The next export's tree head includes this one's audit.exported event once sealed: seal it now.
      await sealPendingAuditEvents();
    }
  }
  clearInterval(sampler);
} finally {
  await closeDatabase().catch(() => undefined);
  if (!values.keep) await db.drop();
  if (!values.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else console.log(`kept ${db.url} and ${tmp}`);
}
