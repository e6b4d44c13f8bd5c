// Console sessions the server can end. The browser's Auth.js cookie carries only a random session
// id; this module decides, on every request, whether that session is still alive: not signed out,
// not idle longer than COUNTERSIGN_SESSION_IDLE_TIMEOUT, not older than
// COUNTERSIGN_SESSION_MAX_LIFETIME, not ended by an admin or by SCIM deactivating its identity.
import { getDb } from "@/db/client";
import { insertAuditEvents } from "@/db/queries/audit";
import { endSession, findOpenSession, touchSession } from "@/db/queries/people";
import type { IdentityRow, SessionRow } from "@/db/schema";
import { auditEvent } from "@/lib/audit/events";
import { kickSealer } from "@/lib/audit/sealer";
import { env } from "@/lib/config/env";
import { personActor, sessionIdHash } from "./people";

export type LiveSession = { session: SessionRow; identity: IdentityRow };

/** Writing last-seen on every request would cost a write per page view; a minute's grain is enough. */
const TOUCH_EVERY_MS = 60_000;

/** Why a session is over at `now`, or null while it lives. */
export function sessionEnd(session: Pick<SessionRow, "expiresAt" | "lastSeenAt" | "endedAt">, now: Date): "ended" | "lifetime" | "idle" | null {
  if (session.endedAt) return "ended";
  if (session.expiresAt.getTime() <= now.getTime()) return "lifetime";
  if (session.lastSeenAt.getTime() + env().COUNTERSIGN_SESSION_IDLE_TIMEOUT <= now.getTime()) return "idle";
  return null;
}

/** The live session behind a cookie's session id, touched; null (and ended, if it just lapsed) otherwise. */
export async function liveSession(rawId: string, now = new Date()): Promise<LiveSession | null> {
  const db = await getDb();
  const id = sessionIdHash(rawId);
  const found = await findOpenSession(db, id);
  if (!found) return null;
  const lapsed = sessionEnd(found.session, now);
  if (lapsed) {
    await endSession(db, id, now, lapsed === "idle" ? "idle timeout" : "lifetime reached");
    return null;
  }
  if (now.getTime() - found.session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await touchSession(db, id, now);
  return found;
}

/**
 * Whether the session is still alive, without counting this as a use (a stream left open in a
 * background tab must not keep its session from idling out).
 */
export async function sessionStillAlive(rawId: string, now = new Date()): Promise<boolean> {
  const found = await findOpenSession(await getDb(), sessionIdHash(rawId));
  return !!found && sessionEnd(found.session, now) === null;
}

/** Sign-out: the session ends for every copy of its cookie. */
export async function endSessionAtSignOut(rawId: string, at = new Date()): Promise<void> {
  const db = await getDb();
  await db.transaction(async (tx) => {
    const found = await findOpenSession(tx, sessionIdHash(rawId));
    if (!found || !(await endSession(tx, sessionIdHash(rawId), at, "signed out"))) return;
    const { identity } = found;
    await insertAuditEvents(tx, [
      auditEvent({
        type: "auth.signed_out",
        actor: personActor({ personId: found.session.personId, name: identity.name, idp: identity.idp, groups: identity.groups, identity }),
        channel: "console",
        at,
      }),
    ]);
  });
  kickSealer();
}
