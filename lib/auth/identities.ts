// Sign-in and sign-out as facts: the identity (with the groups the IdP gave) is remembered for chat
// channels, and both are audited.
import { getDb } from "@/db/client";
import { insertAuditEvents } from "@/db/queries/audit";
import { findIdentityByEmail, upsertIdentity } from "@/db/queries/identities";
import { auditEvent, userActor } from "@/lib/audit/events";
import { kickSealer } from "@/lib/audit/sealer";
import type { ReviewerIdentity } from "@/lib/policy/types";

export async function recordSignIn(who: ReviewerIdentity, subject: string, at = new Date()): Promise<void> {
  const db = await getDb();
  await db.transaction(async (tx) => {
    await upsertIdentity(tx, {
      id: who.id,
      email: who.email,
      name: who.name,
      idp: who.idp,
      subject,
      groups: who.groups,
      firstSignInAt: at,
      lastSignInAt: at,
    });
    await insertAuditEvents(tx, [
      auditEvent({ type: "auth.signed_in", actor: userActor(who), channel: "console", at, payload: { idp: who.idp, subject } }),
    ]);
  });
  kickSealer();
}

export async function recordSignOut(who: ReviewerIdentity, at = new Date()): Promise<void> {
  const db = await getDb();
  await db.transaction((tx) =>
    insertAuditEvents(tx, [auditEvent({ type: "auth.signed_out", actor: userActor(who), channel: "console", at })]),
  );
  kickSealer();
}

/** The identity as of its last sign-in (how Slack users get their groups). */
export async function identityByEmail(email: string): Promise<ReviewerIdentity | null> {
  const row = await findIdentityByEmail(await getDb(), email);
  return row ? { id: row.id, email: row.email, name: row.name, idp: row.idp as ReviewerIdentity["idp"], groups: row.groups } : null;
}
