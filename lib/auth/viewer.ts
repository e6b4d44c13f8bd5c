// The signed-in person as the console sees them: who they are (a person, through the identity of
// their session), their groups, and the console roles the policy gives those groups. Capability
// checks live here; every page, server action and console route calls them itself.
import { CountersignError } from "@/lib/errors";
import { rolesForGroups } from "@/lib/policy/evaluate";
import type { ConsoleRole, Policy } from "@/lib/policy/types";
import type { Authority } from "./authority";

export type Viewer = {
  /** The session's id as the cookie holds it: what a decision from this viewer presents. */
  sessionId: string;
  personId: string;
  identityId: string;
  name: string;
  email: string | null;
  idp: string;
  /** Every e-mail of the person's identities. */
  emails: string[];
  groups: string[];
  roles: ConsoleRole[];
  /** When the person last authenticated at their provider (step-up). */
  authTime: Date | null;
};

export type Capability = "read" | "decide" | "manage_agents" | "export_audit" | "manage_people";

const GRANTS: Record<Capability, ConsoleRole[]> = {
  read: ["admin", "reviewer", "auditor"],
  decide: ["admin", "reviewer"],
  manage_agents: ["admin"],
  export_audit: ["admin", "auditor"],
  manage_people: ["admin"],
};

export function toViewer(sessionId: string, authority: Authority, policy: Policy): Viewer {
  return {
    sessionId,
    personId: authority.personId,
    identityId: authority.identity.id,
    name: authority.name,
    email: authority.identity.email,
    idp: authority.idp,
    emails: authority.emails,
    groups: authority.groups,
    roles: rolesForGroups(policy, authority.groups),
    authTime: authority.authTime,
  };
}

/** Whether any of these console roles grants the capability (the one table above). */
export function rolesCan(roles: readonly ConsoleRole[], capability: Capability): boolean {
  return roles.some((r) => GRANTS[capability].includes(r));
}

export function can(viewer: Viewer | null, capability: Capability): boolean {
  return !!viewer && rolesCan(viewer.roles, capability);
}

export function assertCan(viewer: Viewer | null, capability: Capability): Viewer {
  if (!viewer) throw new CountersignError("unauthorized", "Sign in to continue.");
  if (!can(viewer, capability)) {
    const need = GRANTS[capability].join(" or ");
    throw new CountersignError("forbidden", `This needs the ${need} role; you have ${viewer.roles.join(", ") || "no role"}.`);
  }
  return viewer;
}
