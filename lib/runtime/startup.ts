// What a server process does once at start-up, and how it leaves: validate configuration, load the
// evidence keys and the policy (either missing or bad stops the server), open and migrate the
// database, start the audit sealer, the expiry sweeper and the NOTIFY listener; on SIGTERM/SIGINT,
// drain long-polls and close cleanly.
import { closeDatabase, getDatabase } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { warnIfNoCheckpointSink } from "@/lib/audit/checkpoints";
import { insertAuditEvents } from "@/db/queries/audit";
import { auditEvent, SYSTEM_ACTOR } from "@/lib/audit/events";
import { kickSealer, sealPendingAuditEvents, settleSealer, startSealer } from "@/lib/audit/sealer";
import { readAuthSettings } from "@/lib/auth/config";
import { env, webhookMasterSecret } from "@/lib/config/env";
import { keyRing } from "@/lib/evidence/keys";
import { log } from "@/lib/log";
import { startTracing, stopTracing } from "@/lib/observability/tracing";
import { settleOutbox, startOutboxWorker } from "@/lib/notify/worker";
import { getActivePolicy } from "@/lib/policy/load";
import { ensureListening, drainWaiters } from "@/lib/realtime/request-changes";
import { runDueFollowUps } from "@/lib/requests/follow-ups";
import { expireDueRequests } from "@/lib/requests/lifecycle";
import { logPassFailure } from "./background-pass";
import { processWide } from "./process-wide";
import { startupFailureMessage } from "./startup-failure";
import { wireRequestEffects } from "./wiring";

const started = processWide("server-runtime", () => ({ once: false }));

export async function startServerRuntime(): Promise<void> {
  if (started.once) return;
  started.once = true;
  const config = env();
  startTracing(config); // only when an OTLP endpoint is configured
  wireRequestEffects();
  webhookMasterSecret(); // required in production: refuse to start without it
  readAuthSettings();
  // The signing and audit MAC keys: production on PostgreSQL refuses to start without them.
  const keys = await keyRing();
  const policy = await getActivePolicy();
  const handle = await getDatabase();
  await migrateDatabase(handle);
  await handle.db.transaction((tx) =>
    insertAuditEvents(tx, [
      auditEvent({
        type: "policy.loaded",
        actor: SYSTEM_ACTOR,
        channel: "system",
        at: new Date(),
        payload: { source: policy.source, hash: policy.hash, rules: policy.rules.length, pid: process.pid },
      }),
    ]),
  );
  await ensureListening();
  warnIfNoCheckpointSink();
  startSealer();
  startSweeper(config.COUNTERSIGN_SWEEP_INTERVAL_MS);
  startOutboxWorker(config.COUNTERSIGN_OUTBOX_INTERVAL_MS);
  installShutdown();
  log.info(
    { database: handle.kind, policy: policy.source, policyHash: policy.hash, rules: policy.rules.length, signingKey: keys.signing.kid, keys: keys.source },
    "countersign ready",
  );
}

function startSweeper(intervalMs: number): void {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const n = await expireDueRequests();
      if (n > 0) log.info({ expired: n }, "expired requests past their deadline");
      // Reminders, escalations and overdue break-glass reviews: each claimed under its row's lock,
      // so every instance may sweep and each still happens once.
      const done = await runDueFollowUps();
      if (done.remind + done.escalate + done.review_overdue > 0) log.info(done, "reminded, escalated or flagged overdue reviews");
    } catch (err) {
      logPassFailure(err, "expiry sweep failed; will retry");
    } finally {
      running = false;
    }
  }, intervalMs);
  timer.unref();
}

const GRACE_MS = 2_000;

function installShutdown(): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: answering long-polls and closing streams");
    // Waiters answer with the current state at once; their responses flush during the grace period.
    drainWaiters();
    setTimeout(async () => {
      try {
        await Promise.all([settleSealer(), settleOutbox(), stopTracing()]);
        await sealPendingAuditEvents();
        await closeDatabase();
      } catch (err) {
        log.error({ err }, "error during shutdown");
      } finally {
        process.exit(0);
      }
    }, GRACE_MS);
    kickSealer();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/** Configuration, policy and database errors are written for humans: print one message and stop the process. */
export async function startServerRuntimeOrExit(): Promise<void> {
  try {
    await startServerRuntime();
  } catch (err) {
    console.error(`\nCountersign failed to start:\n${startupFailureMessage(err)}\n`);
    process.exit(1);
  }
}
