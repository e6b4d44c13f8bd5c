// An outbox worker in a process of its own, for the crash tests (tests/integration/outbox-crash.*):
//   node --import tsx tests/support/outbox-worker-process.ts <mode> --now <iso> [--lease-ms n] [--limit n]
// with DATABASE_URL pointing at the test's PostgreSQL database.
//   hang:  one pass whose afterClaim prints `claimed <event ids as JSON>` and then blocks forever,
//          so the test can SIGKILL it between claim and send.
//   drain: prints `ready`, waits for a line on stdin (so two workers start together), drains
//          until a pass claims nothing, prints `done <rows handled>` and exits.
import { parseArgs } from "node:util";
import { closeDatabase, getDatabase } from "@/db/client";
import { drainOutboxOnce } from "@/lib/notify/worker";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { now: { type: "string" }, "lease-ms": { type: "string" }, limit: { type: "string" } },
});
const mode = positionals[0];
const now = values.now ? new Date(values.now) : undefined;
const leaseMs = values["lease-ms"] ? Number(values["lease-ms"]) : undefined;
const limit = values.limit ? Number(values.limit) : undefined;

await getDatabase();

if (mode === "hang") {
  setInterval(() => {}, 60_000); // nothing else may keep the process alive while it "hangs"
  await drainOutboxOnce({
    now,
    leaseMs,
    limit,
    afterClaim: async (rows) => {
      console.log(`claimed ${JSON.stringify(rows.map((r) => r.eventId))}`);
      await new Promise(() => {});
    },
  });
} else if (mode === "drain") {
  console.log("ready");
  await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
  let handled = 0;
  for (let n = 1; n > 0; handled += n) n = await drainOutboxOnce({ now, leaseMs, limit });
  console.log(`done ${handled}`);
  await closeDatabase();
  process.exit(0);
} else {
  console.error(`unknown mode ${mode ?? "(none)"}: use hang or drain`);
  process.exit(2);
}
