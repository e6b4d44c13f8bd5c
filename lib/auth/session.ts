// The current viewer for server components, server actions and console route handlers: the Auth.js
// cookie names a session; the session must still be alive in the database, and the person's groups
// are read from there (as last confirmed, or as SCIM has them), never from the cookie.
// Tests replace this module to act as each persona.
import { cache } from "react";
import { getActivePolicy } from "@/lib/policy/load";
import { auth } from "./auth";
import { resolveAuthority } from "./authority";
import { liveSession } from "./sessions";
import { toViewer, type Viewer } from "./viewer";

export const getViewer = cache(async (): Promise<Viewer | null> => {
  const session = (await auth()) as { sid?: string } | null;
  const sid = session?.sid;
  if (!sid || !(await liveSession(sid))) return null;
  try {
    return toViewer(sid, await resolveAuthority({ kind: "session", sessionId: sid }, new Date(), { refresh: false }), await getActivePolicy());
  } catch {
    return null;
  }
});
