// Outbox sender for Teams: POSTs the Adaptive Card to the rule's Workflows webhook URL. Workflows
// answers 202 Accepted; a 429 or 5xx is retried by the outbox (Retry-After honoured).
import type { OutboxRow } from "@/db/schema";
import { httpFailure, thrownFailure, type Delivery } from "@/lib/notify/delivery";
import { consoleRequestUrl } from "@/lib/notify/links";
import { getRequestView } from "@/lib/requests/read";
import { teamsCardFor } from "./card";

const SEND_TIMEOUT_MS = 10_000;

export async function sendTeamsPost(row: OutboxRow): Promise<Delivery> {
  const view = await getRequestView(row.requestId);
  if (!view) return { ok: false, error: "request no longer exists" };
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
    return httpFailure("Teams webhook", res.status, res.headers.get("retry-after"));
  } catch (err) {
    return thrownFailure(err);
  }
}
