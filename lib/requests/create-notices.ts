// Announces filed requests on the request-changes channel after their commit, many per statement.
// A NOTIFY inside the filing transaction serialises every commit that carries one, fsync included
// (PostgreSQL holds a database-wide lock from pre-commit to the end of the commit so that notices
// queue in commit order): measured with pgbench on this machine, an insert that also notified
// committed at a third of the rate of the bare insert, and a busy disk capped creates at its fsync
// rate. Nobody can be waiting on a request before it is returned, so a create's notice only feeds
// live views (the console stream, other instances): it is sent before the agent gets its answer,
// batched with the creates that committed meanwhile — one notifying commit per batch. Transitions
// (decide, claim, …), which waiters do wait on, keep their NOTIFY inside their transaction.
import { getDatabase } from "@/db/client";
import { notifyRequestChanges } from "@/db/queries/requests";
import { log } from "@/lib/log";
import { processWide } from "@/lib/runtime/process-wide";

type Batch = { notices: string[]; sent: Promise<void> };
type Announcer = { next?: Batch; inFlight?: Promise<void> };
const announcer = processWide<Announcer>("create-notices", () => ({}));

async function send(notices: string[]): Promise<void> {
  try {
    await notifyRequestChanges(await getDatabase(), notices);
  } catch (err) {
    // The requests are filed; only their live announcement is lost (views re-read on their next change).
    log.warn({ err: err instanceof Error ? err.message : String(err), notices: notices.length }, "announcing filed requests failed");
  }
}

/**
 * Queues a filed request's notice; resolves once it was sent (never rejects). While one batch is
 * being sent, the next one collects every notice queued meanwhile.
 */
export function announceCreated(notice: string): Promise<void> {
  if (announcer.next) {
    announcer.next.notices.push(notice);
    return announcer.next.sent;
  }
  const notices = [notice];
  const sent = (async () => {
    await announcer.inFlight;
    announcer.next = undefined;
    const sending = send(notices);
    announcer.inFlight = sending;
    await sending;
  })();
  announcer.next = { notices, sent };
  return sent;
}
