// Per-agent request rate limit (token bucket per process). Exceeding it gives 429 + Retry-After.
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { env } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";

const g = globalThis as typeof globalThis & { __countersignLimiter?: RateLimiterMemory };

function limiter(): RateLimiterMemory {
  g.__countersignLimiter ??= new RateLimiterMemory({ points: env().COUNTERSIGN_RATE_LIMIT_PER_MINUTE, duration: 60 });
  return g.__countersignLimiter;
}

export async function consumeAgentRateLimit(agentId: string): Promise<void> {
  try {
    await limiter().consume(agentId);
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
  g.__countersignLimiter = undefined;
}
