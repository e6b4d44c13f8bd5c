// Slack accounts are linked to people, never guessed from an e-mail: the first click of an unlinked
// Slack user answers privately with a one-time link; opening it signed in to the console and
// confirming binds that Slack (team, user) to the person, audited. Unlinking is one click in the
// console. Decisions from Slack then act for the linked person, with their groups confirmed then.
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { getDb } from "@/db/client";
import { insertAuditEvents } from "@/db/queries/audit";
import { resolvePeople } from "@/db/queries/people";
import {
  deleteSlackLinksOfPerson,
  findSlackLink,
  findSlackLinkCode,
  insertSlackLinkCode,
  selectSlackLinksOfPerson,
  upsertSlackLink,
  useSlackLinkCode,
} from "@/db/queries/slack";
import { auditEvent } from "@/lib/audit/events";
import { kickSealer } from "@/lib/audit/sealer";
import { viewerActor } from "@/lib/auth/people";
import type { Viewer } from "@/lib/auth/viewer";
import { CountersignError } from "@/lib/errors";
import { consoleBaseUrl } from "@/lib/notify/links";

/** How long a link stays usable after the click that asked for it. */
export const LINK_CODE_TTL_MS = 15 * 60_000;

/** A link code as it arrives from the link (issued as 32 base64url characters; another shape is no code of ours). */
export const slackLinkCode = z.string().trim().regex(/^[A-Za-z0-9_-]{16,128}$/, "This is not a Countersign link code.");

/** A Slack account as the console names it (workspace and member IDs). */
export const slackAccount = z.object({
  teamId: z.string().trim().min(1).max(64),
  userId: z.string().trim().min(1).max(64),
});

const hash = (code: string) => createHash("sha256").update(code).digest("hex");

export type SlackAccount = z.infer<typeof slackAccount>;

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

/** Who a Slack account is linked to, as the viewer may know it. */
export type SlackLinkHolder = "you" | "someone_else" | null;

/** What a link code would do, for the page that asks the person to confirm it. */
export type SlackLinkCodeStatus =
  | { state: "usable"; account: SlackAccount; expiresAt: Date; linkedTo: SlackLinkHolder }
  | { state: "used"; linkedToYou: boolean }
  | { state: "expired" }
  | { state: "unknown" };

async function holderOf(viewer: Viewer, account: SlackAccount): Promise<SlackLinkHolder> {
  const db = await getDb();
  const link = await findSlackLink(db, account.teamId, account.userId);
  if (!link) return null;
  const current = (await resolvePeople(db, [link.personId])).get(link.personId) ?? link.personId;
  return current === viewer.personId ? "you" : "someone_else";
}

/**
 * Describes the link behind `code` without using it: a GET of the link page (or a link preview, a
 * prefetcher) must never bind anything; only linkSlackAccount, on the person's confirmation, does.
 */
export async function describeSlackLinkCode(viewer: Viewer, code: string, now = new Date()): Promise<SlackLinkCodeStatus> {
  const row = await findSlackLinkCode(await getDb(), hash(code));
  if (!row) return { state: "unknown" };
  const account = { teamId: row.teamId, userId: row.userId };
  if (row.usedAt) return { state: "used", linkedToYou: (await holderOf(viewer, account)) === "you" };
  if (row.expiresAt.getTime() <= now.getTime()) return { state: "expired" };
  return { state: "usable", account, expiresAt: row.expiresAt, linkedTo: await holderOf(viewer, account) };
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
