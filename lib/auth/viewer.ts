// The signed-in person as the console sees them: identity plus console roles from the policy.
// Capability checks live here; every page, server action and console route calls them itself.
import { CountersignError } from "@/lib/errors";
import { rolesForGroups } from "@/lib/policy/evaluate";
import type { ConsoleRole, Policy, ReviewerIdentity } from "@/lib/policy/types";

export type Viewer = ReviewerIdentity & { roles: ConsoleRole[] };

export type Capability = "read" | "decide" | "manage_agents" | "export_audit";

const GRANTS: Record<Capability, ConsoleRole[]> = {
  read: ["admin", "reviewer", "auditor"],
  decide: ["admin", "reviewer"],
  manage_agents: ["admin"],
  export_audit: ["admin", "auditor"],
};

export function toViewer(identity: ReviewerIdentity, policy: Policy): Viewer {
  return { ...identity, roles: rolesForGroups(policy, identity.groups) };
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
