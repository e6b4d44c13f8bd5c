// A person's authority as of now: which groups they hold, confirmed minutes ago, never read off a
// session minted hours ago (SPEC invariant 9). A decision resolves it from whatever the door holds
// (a console session, a linked Slack account, a reviewer's personal token, an operator's choice of
// person), at decision time:
//   - an identity provisioned by SCIM takes SCIM's groups and active flag (pushed as they change);
//   - any other identity's groups count while confirmed within COUNTERSIGN_GROUPS_MAX_AGE, and are
//     confirmed again from its provider (Okta refresh token, GitHub API) when older;
//   - an identity that cannot be confirmed contributes nothing, and the caller says "sign in again".
import { getDb } from "@/db/client";
import { findOpenSession, resolvePeople, selectDirectoryEntries, selectIdentitiesOfPerson, updateIdentity } from "@/db/queries/people";
import { findSlackLink } from "@/db/queries/slack";
import type { IdentityRow } from "@/db/schema";
import { env } from "@/lib/config/env";
import { CountersignError } from "@/lib/errors";
import { log } from "@/lib/log";
import { readAuthSettings } from "./config";
import { REFRESH_CREDENTIAL, sessionIdHash } from "./people";
import { refreshGroups } from "./refresh";
import { reviewerTokenHolder } from "./reviewer-tokens";
import { seal } from "./sealed";
import { sessionEnd } from "./sessions";

/** What the door holds for the person deciding. */
export type Credential =
  | { kind: "session"; sessionId: string }
  | { kind: "slack"; teamId: string; userId: string }
  /** A reviewer's personal token (the reviewer API): it proves no recent sign-in, so never step-up. */
  | { kind: "token"; tokenId: string }
  /**
   * An operator's own tools (the demo seed, tests): the person is chosen by whoever runs them, who
   * also vouches for when that person last authenticated, if they do.
   */
  | { kind: "person"; personId: string; authTime?: Date };

export type Authority = {
  personId: string;
  /** The identity they act through (the session's; else their most recently used one). */
  identity: IdentityRow;
  name: string;
  idp: string;
  /** Every e-mail of the person's identities: "no self-approval" compares these (the strict side). */
  emails: string[];
  /** The union of the confirmed groups of the person's active identities. */
  groups: string[];
  /** When the person last authenticated at their provider (step-up), if the door knows. */
  authTime: Date | null;
  /** Identities whose groups could not be confirmed just now (they count for nothing). */
  unconfirmed: IdentityRow[];
};

const signInAgain = (why: string) =>
  new CountersignError("reauthentication_required", `${why} Sign in to Countersign again, then retry.`);

async function personOf(credential: Credential, now: Date): Promise<{ personId: string; identityId?: string; authTime: Date | null }> {
  const db = await getDb();
  if (credential.kind === "session") {
    const found = await findOpenSession(db, sessionIdHash(credential.sessionId));
    if (!found || sessionEnd(found.session, now)) throw new CountersignError("unauthorized", "Your session has ended. Sign in again.");
    return { personId: found.session.personId, identityId: found.identity.id, authTime: found.session.authTime };
  }
  if (credential.kind === "slack") {
    const link = await findSlackLink(db, credential.teamId, credential.userId);
    if (!link) throw new CountersignError("not_linked", "This Slack account is not linked to a Countersign person.");
    return { personId: link.personId, authTime: null };
  }
  if (credential.kind === "token") return { personId: await reviewerTokenHolder(credential.tokenId, now), authTime: null };
  return { personId: credential.personId, authTime: credential.authTime ?? null };
}

/**
 * Confirms one identity's groups as of now, or says why it cannot. With `confirm` false (what a
 * page shows), groups older than the limit are shown as last confirmed instead of refreshed.
 */
async function confirm(
  identity: IdentityRow,
  directory: Awaited<ReturnType<typeof selectDirectoryEntries>>,
  now: Date,
  refresh: boolean,
): Promise<{ groups: string[] } | { inactive: true } | { stale: true }> {
  const entry = identity.login && scimCovers(identity) ? directory.get(identity.login.toLowerCase()) : undefined;
  if (entry) return entry.active ? { groups: entry.groups } : { inactive: true };
  const confirmedAt = identity.groupsConfirmedAt?.getTime() ?? -Infinity;
  if (!refresh || now.getTime() - confirmedAt <= env().COUNTERSIGN_GROUPS_MAX_AGE) return { groups: identity.groups };
  try {
    const fresh = await refreshGroups(identity);
    const sealed = fresh.refreshCredential ? await seal(REFRESH_CREDENTIAL, fresh.refreshCredential) : undefined;
    await updateIdentity(await getDb(), identity.id, { groups: [...fresh.groups].sort(), groupsConfirmedAt: now, ...(sealed ? { refreshCredential: sealed } : {}) });
    return { groups: fresh.groups };
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err), identity: identity.id, idp: identity.idp }, "could not confirm an identity's groups");
    return { stale: true };
  }
}

/** SCIM provisions Okta's people: an identity of the configured Okta issuer, when SCIM is on. */
function scimCovers(identity: IdentityRow): boolean {
  return Boolean(env().COUNTERSIGN_SCIM_TOKEN) && identity.idp === "okta" && readAuthSettings().okta?.issuer === identity.issuer;
}

/**
 * The person's authority now, or a refusal: `unauthorized` when the session ended or every identity
 * is deactivated, `not_linked` for an unlinked Slack account, `reauthentication_required` when no
 * identity's groups can be confirmed.
 */
export async function resolveAuthority(credential: Credential, now = new Date(), opts: { refresh?: boolean } = {}): Promise<Authority> {
  const db = await getDb();
  const who = await personOf(credential, now);
  const personId = (await resolvePeople(db, [who.personId])).get(who.personId) ?? who.personId;
  const identities = await selectIdentitiesOfPerson(db, personId);
  if (identities.length === 0) throw new CountersignError("unauthorized", "Countersign knows no identity for this person.");
  const logins = identities.filter(scimCovers).flatMap((i) => (i.login ? [i.login] : []));
  const directory = await selectDirectoryEntries(db, logins);
  const outcomes = await Promise.all(identities.map(async (identity) => ({ identity, outcome: await confirm(identity, directory, now, opts.refresh ?? true) })));

  const usable = outcomes.filter((o): o is { identity: IdentityRow; outcome: { groups: string[] } } => "groups" in o.outcome);
  const unconfirmed = outcomes.filter((o) => "stale" in o.outcome).map((o) => o.identity);
  if (usable.length === 0) {
    if (unconfirmed.length === 0) throw new CountersignError("unauthorized", "Your account is deactivated in the directory; you cannot decide.");
    throw signInAgain("Countersign could not confirm your groups with your identity provider just now.");
  }
  const acting =
    usable.find((u) => u.identity.id === who.identityId)?.identity ??
    [...usable].sort((a, b) => (b.identity.lastSignInAt?.getTime() ?? 0) - (a.identity.lastSignInAt?.getTime() ?? 0))[0]!.identity;
  if (who.identityId && acting.id !== who.identityId) {
    // The session's own identity is deactivated or unconfirmed: the session speaks for nobody now.
    throw "inactive" in (outcomes.find((o) => o.identity.id === who.identityId)?.outcome ?? {})
      ? new CountersignError("unauthorized", "Your account is deactivated in the directory; you cannot decide.")
      : signInAgain("Countersign could not confirm your groups with your identity provider just now.");
  }
  return {
    personId,
    identity: acting,
    name: acting.name,
    idp: acting.idp,
    emails: [...new Set(identities.flatMap((i) => (i.email ? [i.email.toLowerCase()] : [])))],
    groups: [...new Set(usable.flatMap((u) => u.outcome.groups))].sort(),
    authTime: who.authTime,
    unconfirmed,
  };
}
