// Per-agent request rate limit, shared by every instance on the database: rate-limiter-flexible's
// Drizzle store keeps one bucket per agent in `rate_limits` (one upsert per call; a bucket already
// over its limit is refused from memory until it resets, without a query). Exceeding it gives 429 +
// Retry-After. If the database cannot be reached, an in-memory limiter per process takes over.
import { RateLimiterDrizzle, RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { getDatabase, type DatabaseHandle } from "@/db/client";
import { rateLimits } from "@/db/schema";
import { env } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";
import { processWide } from "@/lib/runtime/process-wide";

type Holder = { limiter?: RateLimiterDrizzle; handle?: DatabaseHandle };
const holder = processWide<Holder>("agent-rate-limiter", () => ({}));

function limiter(handle: DatabaseHandle): RateLimiterDrizzle {
  if (!holder.limiter || holder.handle !== handle) {
    const points = env().COUNTERSIGN_RATE_LIMIT_PER_MINUTE;
    holder.handle = handle;
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

export async function consumeAgentRateLimit(agentId: string): Promise<void> {
  try {
    await limiter(await getDatabase()).consume(agentId);
  } catch (res) {
    if (res instanceof RateLimiterRes) {
      const retryAfterSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      throw new CountersignError("rate_limited", `Too many requests from this agent; retry in ${retryAfterSeconds}s.`, {
        retryAfterSeconds,
      });
    }
    throw res;
  }
}

export function resetRateLimitForTests(): void {
  holder.limiter = undefined;
  holder.handle = undefined;
}
