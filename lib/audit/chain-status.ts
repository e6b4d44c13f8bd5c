// "Chain verified up to #N" for the console: a per-process checkpoint, extended incrementally so
// a page never waits for a walk of the whole log. The first walk runs in the background.
import { log } from "@/lib/log";
import { processWide } from "@/lib/runtime/process-wide";
import { verifyAuditChain, type ChainVerification } from "./verify";

export type ChainStatus =
  | { state: "verifying"; since: string }
  | { state: "verified"; head: { seq: number; hash: string } | null; unsealed: number; at: string }
  | { state: "broken"; broken: { seq: number; reason: string }; at: string };

type Holder = { status?: ChainStatus; running?: Promise<void>; checkpoint?: { seq: number; hash: string } | null };
const holder = processWide<Holder>("chain-status", () => ({}));

function record(result: ChainVerification): void {
  const at = new Date().toISOString();
  if (result.ok) {
    holder.checkpoint = result.head;
    holder.status = { state: "verified", head: result.head, unsealed: result.unsealed, at };
  } else {
    holder.status = { state: "broken", broken: result.broken!, at };
  }
}

/** Starts (or joins) a verification pass from the last checkpoint. */
export function refreshChainStatus(): Promise<void> {
  holder.running ??= verifyAuditChain({ from: holder.status?.state === "broken" ? null : holder.checkpoint })
    .then(record)
    .catch((err: unknown) => log.error({ err }, "audit chain verification failed to run"))
    .finally(() => {
      holder.running = undefined;
    });
  return holder.running;
}

/** The latest known status; waits up to `waitMs` for a pass to finish so small logs show at once. */
export async function getChainStatus(waitMs = 300): Promise<ChainStatus> {
  const pass = refreshChainStatus();
  await Promise.race([pass, new Promise((r) => setTimeout(r, waitMs))]);
  return holder.status ?? { state: "verifying", since: new Date().toISOString() };
}
