// What a sender reports for one delivery attempt, and how the HTTP senders phrase a failure.
export type Delivery = { ok: boolean; statusCode?: number; error?: string; retryAfterMs?: number };

/** A non-2xx answer: its status, and its Retry-After (seconds) when the receiver asked for one. */
export function httpFailure(who: string, status: number, retryAfter: string | null): Delivery {
  const seconds = Number(retryAfter);
  return {
    ok: false,
    statusCode: status,
    error: `${who} answered ${status}`,
    retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined,
  };
}

/** No answer at all: a network error, a timeout, a refused address. */
export function thrownFailure(err: unknown): Delivery {
  return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}
