// Whether this instance should be sent traffic (GET /api/health/ready), as opposed to whether the
// process is alive (/api/health/live): the database answers, every migration this build ships is
// applied, the policy is loaded, the audit sealer is keeping up, and the server is not draining.
// Each check answers for itself, so a 503 names every reason at once.
import { getDatabase } from "@/db/client";
import { journalEntries } from "@/db/migrate";
import { countAppliedMigrations, oldestUnsealedAuditEventAt } from "@/db/queries/operations";
import { pingDatabase } from "@/db/queries/health";
import { env } from "@/lib/config/env";
import { log } from "@/lib/log";
import { getActivePolicy } from "@/lib/policy/load";
import { isDraining } from "@/lib/realtime/request-changes";

export type Check = { ok: boolean; detail?: string };
export type Readiness = { ready: boolean; checks: Record<"database" | "migrations" | "policy" | "sealer" | "draining", Check> };

/** A check that takes longer than this has failed: a probe must answer quickly. */
const CHECK_TIMEOUT_MS = 2_000;

/** Runs one check; a failure is answered with `failure` (the probe is anonymous: no error text, no addresses) and logged. */
async function check(failure: string, run: () => Promise<Check>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Check>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([run().catch((err: unknown) => {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, `readiness: ${failure}`);
        return { ok: false, detail: failure };
      }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function readiness(now = Date.now()): Promise<Readiness> {
  const maxLag = env().COUNTERSIGN_READY_MAX_SEAL_LAG_SECONDS;
  const db = async () => (await getDatabase()).db;
  const [database, migrations, policy, sealer] = await Promise.all([
    check("the database is not answering", async () => {
      await pingDatabase(await db());
      return { ok: true };
    }),
    check("the applied migrations could not be read", async () => {
      const applied = await countAppliedMigrations(await db());
      const shipped = journalEntries();
      return applied >= shipped ? { ok: true } : { ok: false, detail: `${applied} of ${shipped} migrations applied` };
    }),
    check("the policy is not loaded", async () => {
      await getActivePolicy();
      return { ok: true };
    }),
    check("the sealer's progress could not be read", async () => {
      const oldest = await oldestUnsealedAuditEventAt(await db());
      const lag = oldest ? Math.max(0, (now - oldest.getTime()) / 1000) : 0;
      return lag <= maxLag ? { ok: true } : { ok: false, detail: `oldest unsealed audit event is ${Math.round(lag)} s old (limit ${maxLag} s)` };
    }),
  ]);
  const draining: Check = isDraining() ? { ok: false, detail: "shutting down" } : { ok: true };
  const checks = { database, migrations, policy, sealer, draining };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

// An anonymous flood of probes must not queue four queries each on the pool the agent API shares:
// probes arriving while a check is running share its answer.
let inFlight: Promise<Readiness> | undefined;

/** readiness(), one run at a time per process: concurrent probes share it. */
export function currentReadiness(): Promise<Readiness> {
  inFlight ??= readiness().finally(() => {
    inFlight = undefined;
  });
  return inFlight;
}
