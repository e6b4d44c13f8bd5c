// The seeded demo's people. The development sign-in (never in production) offers exactly these, as
// identities of a development issuer whose groups are these lists.
import type { SignInClaims } from "@/lib/auth/people";

export const DEV_ISSUER = "urn:countersign:dev";

export type Persona = { key: string; email: string; name: string; groups: readonly string[] };

const persona = (key: string, email: string, name: string, groups: string[]): Persona => ({ key, email, name, groups });

export const PERSONAS = {
  ada: persona("ada", "ada@acme.test", "Ada Admin", ["countersign-admins"]),
  riley: persona("riley", "riley@acme.test", "Riley Reviewer", ["platform-oncall", "github:acme/sre"]),
  sam: persona("sam", "sam@acme.test", "Sam Security", ["security-team", "github:acme/security"]),
  dana: persona("dana", "dana@acme.test", "Dana Data", ["data-governance"]),
  priya: persona("priya", "priya@acme.test", "Priya Platform", ["platform-oncall"]),
  audrey: persona("audrey", "audrey@acme.test", "Audrey Auditor", ["compliance"]),
} as const;

/** A persona as the development sign-in vouches for them. */
export function personaClaims(p: Persona, at: Date): SignInClaims {
  return {
    issuer: DEV_ISSUER,
    subject: p.key,
    idp: "dev",
    login: p.key,
    email: p.email,
    emailVerified: true,
    name: p.name,
    groups: [...p.groups],
    authTime: at,
  };
}
