// Per-agent request rate limit (token bucket per process). Exceeding it gives 429 + Retry-After.
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { env } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";
import { processWide } from "@/lib/runtime/process-wide";

const holder = processWide<{ limiter?: RateLimiterMemory }>("agent-rate-limiter", () => ({}));

function limiter(): RateLimiterMemory {
  holder.limiter ??= new RateLimiterMemory({ points: env().COUNTERSIGN_RATE_LIMIT_PER_MINUTE, duration: 60 });
  return holder.limiter;
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
  holder.limiter = undefined;
}
