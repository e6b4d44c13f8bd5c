// The seeded demo's people. The development sign-in (never in production) offers exactly these.
import type { ReviewerIdentity } from "@/lib/policy/types";

const person = (email: string, name: string, groups: string[]): ReviewerIdentity => ({
  id: email,
  email,
  name,
  idp: "dev",
  groups,
});

export const PERSONAS = {
  ada: person("ada@acme.test", "Ada Admin", ["countersign-admins"]),
  riley: person("riley@acme.test", "Riley Reviewer", ["platform-oncall", "github:acme/sre"]),
  sam: person("sam@acme.test", "Sam Security", ["security-team", "github:acme/security"]),
  dana: person("dana@acme.test", "Dana Data", ["data-governance"]),
  priya: person("priya@acme.test", "Priya Platform", ["platform-oncall"]),
  audrey: person("audrey@acme.test", "Audrey Auditor", ["compliance"]),
} as const;
