// SQL for the Slack message posted per request (its channel ID and ts, for later chat.update calls).
import { eq } from "drizzle-orm";
import type { Executor } from "../client";
import { slackMessages, type SlackMessageRow } from "../schema";

/** Remembers the posted message; a second post for the same request keeps the first. */
export async function insertSlackMessage(tx: Executor, row: SlackMessageRow): Promise<void> {
  await tx.insert(slackMessages).values(row).onConflictDoNothing();
}

export async function findSlackMessage(tx: Executor, requestId: string): Promise<SlackMessageRow | undefined> {
  const [row] = await tx.select().from(slackMessages).where(eq(slackMessages.requestId, requestId));
  return row;
}
