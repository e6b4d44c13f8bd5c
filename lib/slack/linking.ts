// Slack accounts are linked to people, never guessed from an e-mail: the first click of an unlinked
// Slack user answers privately with a one-time link; opening it signed in to the console and
// confirming binds that Slack (team, user) to the person, audited. Unlinking is one click in the
// console. Decisions from Slack then act for the linked person, with their groups confirmed then.
import { createHash, randomBytes } from "node:crypto";
import { getDb } from "@/db/client";
import { insertAuditEvents } from "@/db/queries/audit";
import { deleteSlackLinksOfPerson, insertSlackLinkCode, selectSlackLinksOfPerson, upsertSlackLink, useSlackLinkCode } from "@/db/queries/slack";
import { auditEvent } from "@/lib/audit/events";
import { kickSealer } from "@/lib/audit/sealer";
import { viewerActor } from "@/lib/auth/people";
import type { Viewer } from "@/lib/auth/viewer";
import { CountersignError } from "@/lib/errors";
import { consoleBaseUrl } from "@/lib/notify/links";

/** How long a link stays usable after the click that asked for it. */
export const LINK_CODE_TTL_MS = 15 * 60_000;

const hash = (code: string) => createHash("sha256").update(code).digest("hex");

export type SlackAccount = { teamId: string; userId: string };

/** A one-time link that binds this Slack account to whoever opens it, signed in, and confirms. */
export async function slackLinkUrl(account: SlackAccount, now = new Date()): Promise<string> {
  const code = randomBytes(24).toString("base64url");
  await insertSlackLinkCode(await getDb(), {
    codeHash: hash(code),
    teamId: account.teamId,
    userId: account.userId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + LINK_CODE_TTL_MS),
  });
  return `${consoleBaseUrl()}/slack/link?code=${encodeURIComponent(code)}`;
}

/** Binds the Slack account behind `code` to the viewer (the code works once, within its TTL). */
export async function linkSlackAccount(viewer: Viewer, code: string, now = new Date()): Promise<SlackAccount> {
  const db = await getDb();
  const account = await db.transaction(async (tx) => {
    const found = await useSlackLinkCode(tx, hash(code), now);
    if (!found) return null;
    await upsertSlackLink(tx, { teamId: found.teamId, userId: found.userId, personId: viewer.personId, linkedAt: now });
    await insertAuditEvents(tx, [
      auditEvent({ type: "slack.linked", actor: viewerActor(viewer), channel: "console", at: now, payload: { team_id: found.teamId, user_id: found.userId } }),
    ]);
    return found;
  });
  if (!account) throw new CountersignError("not_found", "This link was already used or has expired. Click a button in Slack again for a new one.");
  kickSealer();
  return account;
}

/** Unbinds one of the viewer's Slack accounts. */
export async function unlinkSlackAccount(viewer: Viewer, account: SlackAccount, now = new Date()): Promise<void> {
  const db = await getDb();
  const removed = await db.transaction(async (tx) => {
    const n = await deleteSlackLinksOfPerson(tx, viewer.personId, account.teamId, account.userId);
    if (n > 0) {
      await insertAuditEvents(tx, [
        auditEvent({ type: "slack.unlinked", actor: viewerActor(viewer), channel: "console", at: now, payload: { team_id: account.teamId, user_id: account.userId } }),
      ]);
    }
    return n;
  });
  if (removed === 0) throw new CountersignError("not_found", "That Slack account is not linked to you.");
  kickSealer();
}

export async function slackAccountsOf(viewer: Viewer): Promise<(SlackAccount & { linkedAt: Date })[]> {
  const rows = await selectSlackLinksOfPerson(await getDb(), viewer.personId);
  return rows.map((r) => ({ teamId: r.teamId, userId: r.userId, linkedAt: r.linkedAt }));
}
