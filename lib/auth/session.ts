// The current viewer for server components, server actions and console route handlers.
// Tests replace this module to act as each persona.
import { cache } from "react";
import { getActivePolicy } from "@/lib/policy/load";
import type { ReviewerIdentity } from "@/lib/policy/types";
import { auth } from "./auth";
import { toViewer, type Viewer } from "./viewer";

export const getViewer = cache(async (): Promise<Viewer | null> => {
  const session = (await auth()) as { identity?: ReviewerIdentity } | null;
  if (!session?.identity) return null;
  return toViewer(session.identity, await getActivePolicy());
});
