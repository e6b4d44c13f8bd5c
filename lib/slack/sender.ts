// Outbox senders for Slack. `slack.post` posts the request's message and remembers its channel and
// ts; `slack.update` re-renders the message from the request as it is NOW, so updates that arrive
// late, twice or out of order all converge on the current state.
import { getDb } from "@/db/client";
import { findSlackMessage, insertSlackMessage } from "@/db/queries/slack";
import type { OutboxRow } from "@/db/schema";
import { consoleRequestUrl } from "@/lib/notify/links";
import type { Delivery } from "@/lib/notify/delivery";
import { getRequestView } from "@/lib/requests/read";
import { slackClient, slackConfig } from "./client";
import { slackMessageFor } from "./messages";

function failure(err: unknown): Delivery {
  const e = err as { code?: string; data?: { error?: string }; message?: string; statusCode?: number };
  const detail = e.data?.error ?? e.message ?? String(err);
  return { ok: false, error: `slack: ${e.code ? `${e.code}: ` : ""}${detail}`, statusCode: e.statusCode };
}

async function currentMessage(requestId: string) {
  const view = await getRequestView(requestId);
  if (!view) return null;
  return slackMessageFor(view, { consoleUrl: consoleRequestUrl(requestId) });
}

export async function sendSlackPost(row: OutboxRow): Promise<Delivery> {
  const config = slackConfig();
  if (!config) return { ok: false, error: "Slack is not configured (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)" };
  const db = await getDb();
  // A worker that died after posting but before finishing the row: the post already happened.
  if (await findSlackMessage(db, row.requestId)) return { ok: true, statusCode: 200 };
  const message = await currentMessage(row.requestId);
  if (!message) return { ok: false, error: "request no longer exists" };
  try {
    const res = await slackClient(config).chat.postMessage({ channel: row.target, text: message.text, blocks: message.blocks, mrkdwn: false, unfurl_links: false, unfurl_media: false });
    if (!res.channel || !res.ts) return { ok: false, error: "slack: chat.postMessage answered without channel or ts" };
    await insertSlackMessage(db, { requestId: row.requestId, channel: res.channel, ts: res.ts, postedAt: new Date() });
    return { ok: true, statusCode: 200 };
  } catch (err) {
    return failure(err);
  }
}

export async function sendSlackUpdate(row: OutboxRow): Promise<Delivery> {
  const config = slackConfig();
  if (!config) return { ok: false, error: "Slack is not configured (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)" };
  const posted = await findSlackMessage(await getDb(), row.requestId);
  // Retryable: the post is still in the outbox (or being retried); the backoff brings us back.
  if (!posted) return { ok: false, error: "the Slack message has not been posted yet" };
  const message = await currentMessage(row.requestId);
  if (!message) return { ok: false, error: "request no longer exists" };
  try {
    await slackClient(config).chat.update({ channel: posted.channel, ts: posted.ts, text: message.text, blocks: message.blocks });
    return { ok: true, statusCode: 200 };
  } catch (err) {
    return failure(err);
  }
}
