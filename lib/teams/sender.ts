// Outbox sender for Teams: POSTs the Adaptive Card to the rule's Workflows webhook URL. Workflows
// answers 202 Accepted; a 429 or 5xx is retried by the outbox (Retry-After honoured).
import { getDb } from "@/db/client";
import { findRequestWithAgent, selectReviews } from "@/db/queries/requests";
import type { OutboxRow } from "@/db/schema";
import { consoleRequestUrl } from "@/lib/notify/links";
import type { Delivery } from "@/lib/notify/worker";
import { toRequestView } from "@/lib/requests/view";
import { teamsCardFor } from "./card";

const SEND_TIMEOUT_MS = 10_000;

export async function sendTeamsPost(row: OutboxRow): Promise<Delivery> {
  const db = await getDb();
  const found = await findRequestWithAgent(db, row.requestId);
  if (!found) return { ok: false, error: "request no longer exists" };
  const view = toRequestView(found.request, found.agent, await selectReviews(db, [row.requestId]), new Date());
  try {
    const res = await fetch(row.target, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "Countersign-Teams/1" },
      body: JSON.stringify(teamsCardFor(view, consoleRequestUrl(view.id))),
      redirect: "manual",
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return { ok: true, statusCode: res.status };
    const retryAfter = Number(res.headers.get("retry-after"));
    return {
      ok: false,
      statusCode: res.status,
      error: `Teams webhook answered ${res.status}`,
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}
