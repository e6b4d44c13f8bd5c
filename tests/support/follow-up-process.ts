// A Countersign instance's follow-up sweep in a process of its own, for the exactly-once test
// (tests/integration/follow-ups.postgres-only.test.ts):
//   node --import tsx tests/support/follow-up-process.ts --now <iso> [--sweeps n]
// with DATABASE_URL pointing at the test's PostgreSQL database and COUNTERSIGN_POLICY at the test
// policy. Prints `ready`, waits for a line on stdin (so two instances start together), runs `n`
// sweeps at once, prints `done <summed counts as JSON>` and exits.
import { parseArgs } from "node:util";
import { closeDatabase, getDatabase } from "@/db/client";
import { settleSealer } from "@/lib/audit/sealer";
import { runDueFollowUps, type FollowUpCounts } from "@/lib/requests/follow-ups";
import { wireRequestEffects } from "@/lib/runtime/wiring";

const { values } = parseArgs({ options: { now: { type: "string" }, sweeps: { type: "string" } } });
const now = new Date(values.now!);
const sweeps = Number(values.sweeps ?? "1");

wireRequestEffects();
await getDatabase();
console.log("ready");
await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
const results = await Promise.all(Array.from({ length: sweeps }, () => runDueFollowUps({ now })));
const sum: FollowUpCounts = { remind: 0, escalate: 0, review_overdue: 0 };
for (const r of results) for (const k of Object.keys(sum) as (keyof FollowUpCounts)[]) sum[k] += r[k];
console.log(`done ${JSON.stringify(sum)}`);
await settleSealer();
await closeDatabase();
process.exit(0);
