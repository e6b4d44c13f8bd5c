// People and their identities: who signs in, as which person. A sign-in records the identity the
// provider vouched for — (issuer, subject), never an e-mail — finds its person (linking it to the
// person who already holds the same *verified* e-mail), confirms its groups, opens a session, and is
// audited. Admins link two identities of one person by hand; linked identities count once.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { getDb, type Executor } from "@/db/client";
import { insertAuditEvents } from "@/db/queries/audit";
import {
  deletePersonWithoutIdentities,
  endSessionsOf,
  findIdentity,
  findIdentityById,
  findPerson,
  findPersonByVerifiedEmail,
  insertIdentity,
  insertPerson,
  insertSession,
  mergePeople,
  countOpenSessionsByPerson,
  selectIdentitiesOfPerson,
  selectPeopleWithIdentities,
  updateIdentity,
} from "@/db/queries/people";
import { revokeReviewerTokensOfPerson } from "@/db/queries/reviewer-tokens";
import type { AuditActor, IdentityRow } from "@/db/schema";
import { auditEvent, SYSTEM_ACTOR } from "@/lib/audit/events";
import { kickSealer } from "@/lib/audit/sealer";
import { env } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";
import { seal } from "./sealed";
import { assertCan, type Viewer } from "./viewer";

export type IdpName = "okta" | "github" | "dev";

/** What a provider vouched for at sign-in. */
export type SignInClaims = {
  issuer: string;
  subject: string;
  idp: IdpName;
  login: string | null;
  email: string | null;
  emailVerified: boolean;
  name: string;
  groups: string[];
  /** When the person authenticated at the provider (OIDC auth_time), else the sign-in time. */
  authTime: Date;
  /** A credential that lets the server confirm the groups again later (refresh or access token). */
  refreshCredential?: string | null;
};

export const REFRESH_CREDENTIAL = "refresh-credential";

export const sessionIdHash = (raw: string) => createHash("sha256").update(raw).digest("hex");

/** The audit actor for something a signed-in console viewer did. */
export function viewerActor(v: { personId: string; name: string; idp: string; groups: readonly string[]; identityId: string; email?: string | null }): AuditActor {
  return { kind: "user", id: v.personId, display: v.name, idp: v.idp, groups: [...v.groups] };
}

/** The audit actor for something a person did through an identity. */
export function personActor(who: { personId: string; name: string; idp: string; groups: readonly string[]; identity?: Pick<IdentityRow, "issuer" | "subject"> | null }): AuditActor {
  return {
    kind: "user",
    id: who.personId,
    display: who.name,
    idp: who.idp,
    groups: [...who.groups],
    ...(who.identity ? { issuer: who.identity.issuer, subject: who.identity.subject } : {}),
  };
}

async function personFor(tx: Executor, claims: SignInClaims, at: Date): Promise<string> {
  const linked = claims.emailVerified && claims.email ? await findPersonByVerifiedEmail(tx, claims.email) : undefined;
  if (linked) return linked;
  return (await insertPerson(tx, { id: randomUUID(), displayName: claims.name, createdAt: at })).id;
}

/**
 * Records the identity (creating it and its person on first sign-in), confirms its groups now, and
 * when it carries a verified e-mail that another person's identity also carries, links the two.
 */
export async function upsertIdentityAtSignIn(tx: Executor, claims: SignInClaims, at: Date): Promise<IdentityRow> {
  const sealed = claims.refreshCredential ? await seal(REFRESH_CREDENTIAL, claims.refreshCredential) : null;
  const fields = {
    idp: claims.idp,
    login: claims.login?.toLowerCase() ?? null,
    email: claims.email?.toLowerCase() ?? null,
    emailVerified: claims.emailVerified,
    name: claims.name,
    groups: [...claims.groups].sort(),
    groupsConfirmedAt: at,
    lastSignInAt: at,
    ...(sealed ? { refreshCredential: sealed } : {}),
  };
  let existing = await findIdentity(tx, claims.issuer, claims.subject);
  if (!existing) {
    const personId = await personFor(tx, claims, at);
    const inserted = await insertIdentity(tx, { id: randomUUID(), personId, issuer: claims.issuer, subject: claims.subject, createdAt: at, ...fields });
    if (inserted) return inserted;
    // A concurrent first sign-in of the same identity won: take its row (and drop our spare person).
    await deletePersonWithoutIdentities(tx, personId);
    existing = (await findIdentity(tx, claims.issuer, claims.subject))!;
  }
  let identity = await updateIdentity(tx, existing.id, fields);
  if (claims.emailVerified && claims.email) {
    const other = await findPersonByVerifiedEmail(tx, claims.email);
    if (other && other !== identity.personId) {
      await mergePeople(tx, identity.personId, other, at);
      await insertAuditEvents(tx, [
        auditEvent({ type: "person.linked", actor: SYSTEM_ACTOR, channel: "system", at, payload: { from: identity.personId, into: other, reason: "same verified e-mail" } }),
      ]);
      identity = { ...identity, personId: other };
    }
  }
  return identity;
}

/**
 * Records what a provider vouches for without opening a session (operator tools that act as a
 * known person, such as the demo seed). Returns the identity, with its person.
 */
export async function recordIdentity(claims: SignInClaims, at = new Date()): Promise<IdentityRow> {
  const db = await getDb();
  return db.transaction((tx) => upsertIdentityAtSignIn(tx, claims, at));
}

/** A sign-in: the identity recorded, a session opened, both audited. Returns the session's raw id. */
export async function recordSignIn(claims: SignInClaims, at = new Date()): Promise<{ sessionId: string; identity: IdentityRow }> {
  const sessionId = randomBytes(32).toString("base64url");
  const db = await getDb();
  const identity = await db.transaction(async (tx) => {
    const identity = await upsertIdentityAtSignIn(tx, claims, at);
    await insertSession(tx, {
      id: sessionIdHash(sessionId),
      identityId: identity.id,
      personId: identity.personId,
      createdAt: at,
      lastSeenAt: at,
      expiresAt: new Date(at.getTime() + env().COUNTERSIGN_SESSION_MAX_LIFETIME),
      authTime: claims.authTime,
    });
    await insertAuditEvents(tx, [
      auditEvent({
        type: "auth.signed_in",
        actor: personActor({ personId: identity.personId, name: identity.name, idp: identity.idp, groups: identity.groups, identity }),
        channel: "console",
        at,
        payload: { idp: claims.idp, issuer: claims.issuer, subject: claims.subject, email_verified: claims.emailVerified, auth_time: claims.authTime.toISOString() },
      }),
    ]);
    return identity;
  });
  kickSealer();
  return { sessionId, identity };
}

/** An admin links person `from` into person `into` (two identities of one person). */
export async function linkPeople(admin: { actor: AuditActor }, from: string, into: string, at = new Date()): Promise<void> {
  if (from === into) {
    throw new CountersignError("invalid_request", "Those identities already belong to one person.", {
      issues: [{ path: "into", message: "choose someone other than the person on the left" }],
    });
  }
  const db = await getDb();
  await db.transaction(async (tx) => {
    const [a, b] = await Promise.all([findPerson(tx, from), findPerson(tx, into)]);
    if (!a || !b) throw new CountersignError("not_found", "No such person.");
    if (a.mergedInto || b.mergedInto) throw new CountersignError("conflict", "One of them is already linked into someone else; link the current person.");
    await mergePeople(tx, from, into, at);
    await insertAuditEvents(tx, [auditEvent({ type: "person.linked", actor: admin.actor, channel: "console", at, payload: { from, into, reason: "linked by an admin" } })]);
  });
  kickSealer();
}

/**
 * Ends every session of a person and revokes their personal tokens (an admin's "sign out
 * everywhere": a terminal keeps no door open that the browser lost). Returns how many sessions ended.
 */
export async function endPersonSessions(by: { actor: AuditActor }, personId: string, reason: string, at = new Date()): Promise<number> {
  const db = await getDb();
  const ended = await db.transaction(async (tx) => {
    const n = await endSessionsOf(tx, { personId }, at, reason);
    const tokens = await revokeReviewerTokensOfPerson(tx, personId, at);
    await insertAuditEvents(tx, [
      auditEvent({ type: "auth.sessions_ended", actor: by.actor, channel: "console", at, payload: { person: personId, sessions: n, reviewer_tokens: tokens, reason } }),
    ]);
    return n;
  });
  kickSealer();
  return ended;
}

export type PersonListing = {
  personId: string;
  name: string;
  identities: Pick<IdentityRow, "id" | "idp" | "issuer" | "subject" | "login" | "email" | "emailVerified" | "groups" | "lastSignInAt">[];
  openSessions: number;
};

/** Everyone who has an identity here, with their identities and open sessions (admins only). */
export async function listPeople(viewer: Viewer | null, now = new Date()): Promise<PersonListing[]> {
  assertCan(viewer, "manage_people");
  const db = await getDb();
  const [rows, sessions] = await Promise.all([selectPeopleWithIdentities(db), countOpenSessionsByPerson(db, now)]);
  const people = new Map<string, PersonListing>();
  for (const { person, identity } of rows) {
    const entry = people.get(person.id) ?? { personId: person.id, name: person.displayName, identities: [], openSessions: sessions.get(person.id) ?? 0 };
    const { id, idp, issuer, subject, login, email, emailVerified, groups, lastSignInAt } = identity;
    entry.identities.push({ id, idp, issuer, subject, login, email, emailVerified, groups, lastSignInAt });
    people.set(person.id, entry);
  }
  return [...people.values()];
}

export async function identityById(id: string): Promise<IdentityRow | undefined> {
  return findIdentityById(await getDb(), id);
}

export async function identitiesOf(personId: string): Promise<IdentityRow[]> {
  return selectIdentitiesOfPerson(await getDb(), personId);
}
