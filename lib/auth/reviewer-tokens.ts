// Reviewers' personal tokens for the reviewer API and the `countersign review` CLI. A person creates
// them in the console (scopes, expiry up to 90 days), sees the token once, and revokes them there;
// only SHA-256 of the secret is stored, and neither the token nor its secret is ever audited or
// logged. A token names a person and nothing more: what that person may do is decided at each use by
// resolveAuthority (groups confirmed now) and the eligibility rule, and a token proves no recent
// sign-in, so it never satisfies step-up.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { getDb } from "@/db/client";
import { insertAuditEvents } from "@/db/queries/audit";
import {
  findReviewerTokenById,
  findReviewerTokenByPrefix,
  insertReviewerToken,
  revokeReviewerToken as revokeTokenRow,
  selectReviewerTokensOfPerson,
  touchReviewerToken,
} from "@/db/queries/reviewer-tokens";
import type { ReviewerTokenRow } from "@/db/schema";
import { issueKey, parseKey, secretMatches } from "@/lib/agents/keys";
import { auditEvent } from "@/lib/audit/events";
import { kickSealer } from "@/lib/audit/sealer";
import { CountersignError } from "@/lib/errors";
import { REVIEWER_TOKEN_SCOPES, type ReviewerTokenScope } from "@/lib/vocabulary";
import { viewerActor } from "./people";
import { assertCan, can, type Viewer } from "./viewer";

/** The lifetimes the console offers, in days; the longest is the most any token may have. */
export const TOKEN_LIFETIME_DAYS = [7, 30, 90] as const;
export const DEFAULT_TOKEN_LIFETIME_DAYS = 30;
const DAY_MS = 86_400_000;

export const createReviewerTokenInput = z.strictObject({
  name: z.string().trim().min(1, "give the token a name").max(80, "at most 80 characters"),
  scopes: z
    .array(z.enum(REVIEWER_TOKEN_SCOPES))
    .min(1, "choose at least one scope")
    .transform((s) => REVIEWER_TOKEN_SCOPES.filter((scope) => s.includes(scope))),
  expiresInDays: z.coerce
    .number()
    .int()
    .min(1)
    .max(Math.max(...TOKEN_LIFETIME_DAYS), `at most ${Math.max(...TOKEN_LIFETIME_DAYS)} days`)
    .default(DEFAULT_TOKEN_LIFETIME_DAYS),
});
export type CreateReviewerTokenInput = z.input<typeof createReviewerTokenInput>;

/** A token as its person's list shows it: never the secret or its hash. */
export type ReviewerTokenSummary = {
  id: string;
  name: string;
  /** `csr_<prefix>…`: enough to recognise the token, useless to present. */
  display: string;
  scopes: ReviewerTokenScope[];
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  state: "active" | "expired" | "revoked";
};

const displayOf = (prefix: string) => `csr_${prefix}…`;

/** Why this token speaks for nobody at `now`, or null while it is good. The one validity rule. */
function tokenRefusal(found: { token: ReviewerTokenRow; merged: boolean }, now: Date): CountersignError | null {
  const { token, merged } = found;
  if (token.revokedAt) return new CountersignError("unauthorized", "This reviewer token has been revoked.");
  if (token.expiresAt.getTime() <= now.getTime()) {
    return new CountersignError("unauthorized", `This reviewer token expired at ${token.expiresAt.toISOString()}. Create a new one in the console (Account → Personal tokens).`);
  }
  if (merged) {
    return new CountersignError("unauthorized", "This token's person has been linked into another person since it was created. Create a new token in the console.");
  }
  return null;
}

function summaryOf(token: ReviewerTokenRow, now: Date): ReviewerTokenSummary {
  return {
    id: token.id,
    name: token.name,
    display: displayOf(token.prefix),
    scopes: token.scopes,
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    lastUsedAt: token.lastUsedAt,
    revokedAt: token.revokedAt,
    state: token.revokedAt ? "revoked" : token.expiresAt.getTime() <= now.getTime() ? "expired" : "active",
  };
}

/** Creates a token for the viewer: the token is in the answer, and nowhere else ever again. */
export async function createReviewerToken(
  viewer: Viewer | null,
  input: CreateReviewerTokenInput,
  now = new Date(),
): Promise<{ token: string; summary: ReviewerTokenSummary }> {
  const who = assertCan(viewer, "read");
  const parsed = createReviewerTokenInput.safeParse(input);
  if (!parsed.success) {
    throw new CountersignError("invalid_request", "The token's settings are invalid.", {
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "token", message: i.message })),
    });
  }
  const { name, scopes, expiresInDays } = parsed.data;
  if (scopes.includes("decide") && !can(who, "decide")) {
    throw new CountersignError("forbidden", "You have no reviewer role, so a token with the decide scope could decide nothing.", {
      issues: [{ path: "scopes", message: "decide needs a reviewer role" }],
    });
  }
  const issued = issueKey("csr");
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    const row = await insertReviewerToken(tx, {
      id: randomUUID(),
      personId: who.personId,
      name,
      prefix: issued.prefix,
      secretHash: issued.secretHash,
      scopes,
      createdAt: now,
      expiresAt: new Date(now.getTime() + expiresInDays * DAY_MS),
    });
    await insertAuditEvents(tx, [
      auditEvent({
        type: "reviewer_token.created",
        actor: viewerActor(who),
        channel: "console",
        at: now,
        payload: { token_id: row.id, name, prefix: row.prefix, scopes, expires_at: row.expiresAt.toISOString() },
      }),
    ]);
    return row;
  });
  kickSealer();
  return { token: issued.key, summary: summaryOf(row, now) };
}

/** The viewer's own tokens, newest first. */
export async function listReviewerTokens(viewer: Viewer | null, now = new Date()): Promise<ReviewerTokenSummary[]> {
  const who = assertCan(viewer, "read");
  return (await selectReviewerTokensOfPerson(await getDb(), who.personId)).map((t) => summaryOf(t, now));
}

/** Revokes one of the viewer's own live tokens (another person's token is simply not found). */
export async function revokeReviewerToken(viewer: Viewer | null, tokenId: string, now = new Date()): Promise<ReviewerTokenSummary> {
  const who = assertCan(viewer, "read");
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    const row = await revokeTokenRow(tx, who.personId, tokenId, now);
    if (!row) return null;
    await insertAuditEvents(tx, [
      auditEvent({
        type: "reviewer_token.revoked",
        actor: viewerActor(who),
        channel: "console",
        at: now,
        payload: { token_id: row.id, name: row.name, prefix: row.prefix },
      }),
    ]);
    return row;
  });
  if (!row) throw new CountersignError("not_found", "You have no live token with that id.");
  kickSealer();
  return summaryOf(row, now);
}

/** "Last used" is advisory: written at most once a minute, never a write per call. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Resolves `Authorization: Bearer csr_…` to the token's credential when it is good now and carries
 * `scope`: 401 `unauthorized` for a missing, malformed, unknown, revoked or expired token, 403
 * `insufficient_scope` for a token without the scope.
 */
export async function authenticateReviewerToken(
  authorization: string | null,
  scope: ReviewerTokenScope,
  now = new Date(),
): Promise<{ kind: "token"; tokenId: string }> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) throw new CountersignError("unauthorized", "Missing reviewer token: send Authorization: Bearer <token> (csr_…).");
  const parsed = parseKey("csr", match[1]!);
  if (!parsed) {
    const agentKey = parseKey("cs", match[1]!) !== null;
    throw new CountersignError(
      "unauthorized",
      agentKey ? "This is an agent key; the reviewer API takes a reviewer's personal token (csr_…)." : "Malformed reviewer token.",
    );
  }
  const db = await getDb();
  const found = await findReviewerTokenByPrefix(db, parsed.prefix);
  if (!found || !secretMatches(parsed.secret, found.token.secretHash)) throw new CountersignError("unauthorized", "Unknown reviewer token.");
  const refusal = tokenRefusal(found, now);
  if (refusal) throw refusal;
  if (!found.token.scopes.includes(scope)) {
    throw new CountersignError("insufficient_scope", `This token does not carry the ${scope} scope (it has ${found.token.scopes.join(", ")}). Create one with ${scope} in the console.`);
  }
  if (!found.token.lastUsedAt || now.getTime() - found.token.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
    await touchReviewerToken(db, found.token.id, now);
  }
  return { kind: "token", tokenId: found.token.id };
}

/**
 * The person a token speaks for at `now`, checked again wherever it is used (a token revoked
 * between the API's check and the decision decides nothing).
 */
export async function reviewerTokenHolder(tokenId: string, now: Date): Promise<string> {
  const found = await findReviewerTokenById(await getDb(), tokenId);
  if (!found) throw new CountersignError("unauthorized", "Unknown reviewer token.");
  const refusal = tokenRefusal(found, now);
  if (refusal) throw refusal;
  return found.token.personId;
}
