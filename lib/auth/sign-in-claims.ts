// What an identity provider vouched for at sign-in, as Countersign's claims — or why the sign-in is
// refused: Okta must say the e-mail is verified; GitHub must have a verified primary e-mail and, when
// AUTH_GITHUB_ORGS is set (required in production), an active membership of one of those orgs. The
// Auth.js callbacks (lib/auth/auth.ts) call this; it knows nothing of Auth.js beyond its shapes.
import type { Account, Profile } from "next-auth";
import { personaClaims, PERSONAS } from "@/lib/demo/personas";
import type { AuthSettings } from "./config";
import { fetchGitHubIdentity } from "./github";
import type { SignInClaims } from "./people";

/** Why a sign-in is refused, as the sign-in page's `?error=` code. */
export type SignInRefusal = "EmailNotVerified" | "NotOrgMember" | "AccessDenied";

const epochSeconds = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? new Date(v * 1000) : null);

/** What the provider vouched for, or why the sign-in is refused. */
export async function claimsAtSignIn(
  s: AuthSettings,
  account: Pick<Account, "provider" | "providerAccountId" | "access_token" | "refresh_token">,
  profile: Profile | undefined,
  user: { id?: string | null },
): Promise<SignInClaims | SignInRefusal> {
  const now = new Date();
  if (account.provider === "okta" && s.okta) {
    const p = (profile ?? {}) as Record<string, unknown>;
    // An e-mail Okta has not verified identifies nobody: it could be anyone's.
    if (p.email_verified !== true) return "EmailNotVerified";
    const email = typeof p.email === "string" ? p.email.toLowerCase() : null;
    return {
      issuer: s.okta.issuer,
      subject: String(p.sub ?? account.providerAccountId),
      idp: "okta",
      login: typeof p.preferred_username === "string" ? p.preferred_username : email,
      email,
      emailVerified: true,
      name: String(p.name ?? email ?? p.sub),
      groups: Array.isArray(p.groups) ? p.groups.map(String) : [],
      authTime: epochSeconds(p.auth_time) ?? now,
      refreshCredential: account.refresh_token ?? null,
    };
  }
  if (account.provider === "github" && s.github && account.access_token) {
    const gh = await fetchGitHubIdentity(account.access_token, { apiUrl: s.github.apiUrl, orgs: s.github.orgs });
    if (!gh.email) return "EmailNotVerified";
    // With AUTH_GITHUB_ORGS (required in production), only members of those orgs get in.
    if (s.github.orgs.length > 0 && gh.orgs.length === 0) return "NotOrgMember";
    return {
      issuer: s.github.enterpriseUrl ? s.github.enterpriseUrl.replace(/\/$/, "") : "https://github.com",
      subject: gh.id,
      idp: "github",
      login: gh.login,
      email: gh.email,
      emailVerified: true,
      name: gh.name,
      groups: gh.groups,
      authTime: now,
      refreshCredential: account.access_token,
    };
  }
  if (account.provider === "dev" && s.devSignIn) {
    const persona = PERSONAS[String(user.id ?? "") as keyof typeof PERSONAS];
    return persona ? personaClaims(persona, now) : "AccessDenied";
  }
  return "AccessDenied";
}

