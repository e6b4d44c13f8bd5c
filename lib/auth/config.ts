// Which sign-in methods this deployment offers, from the environment. In production the
// development sign-in does not exist, and a deployment without a real provider will not start —
// except the demo (`npm run demo` sets COUNTERSIGN_DEMO=1), which runs the production build with the
// persona sign-in and is refused beside a real identity provider or a PostgreSQL DATABASE_URL.
import { env, parseEnv } from "@/lib/config/env";

export type AuthSettings = {
  okta?: { clientId: string; clientSecret: string; issuer: string };
  github?: { clientId: string; clientSecret: string; enterpriseUrl?: string; apiUrl: string; orgs: string[] };
  devSignIn: boolean;
  /** COUNTERSIGN_DEMO=1: the development sign-in in a production build, for `npm run demo` only. */
  demo: boolean;
  secret?: string;
  /** Trust the Host / X-Forwarded-Host headers when building sign-in URLs (AUTH_TRUST_HOST). */
  trustHost: boolean;
};

export class AuthConfigError extends Error {}

/**
 * The sign-in settings of this process (or of `source`, an environment to validate instead). A
 * malformed AUTH_* variable is reported by lib/config/env.ts's schema (EnvError); a combination that
 * cannot work, or a production deployment without a real provider, here (AuthConfigError).
 */
export function readAuthSettings(source?: Readonly<Record<string, string | undefined>>): AuthSettings {
  const e = source ? parseEnv(source) : env();
  const production = e.NODE_ENV === "production";
  const demo = e.COUNTERSIGN_DEMO;
  const problems: string[] = [];

  const oktaVars = [e.AUTH_OKTA_ID, e.AUTH_OKTA_SECRET, e.AUTH_OKTA_ISSUER];
  const githubVars = [e.AUTH_GITHUB_ID, e.AUTH_GITHUB_SECRET];
  if (oktaVars.some(Boolean) && !oktaVars.every(Boolean)) {
    problems.push("Okta is partly configured: set all of AUTH_OKTA_ID, AUTH_OKTA_SECRET and AUTH_OKTA_ISSUER.");
  }
  if (githubVars.some(Boolean) && !githubVars.every(Boolean)) {
    problems.push("GitHub is partly configured: set both AUTH_GITHUB_ID and AUTH_GITHUB_SECRET.");
  }
  const okta = oktaVars.every(Boolean)
    ? { clientId: e.AUTH_OKTA_ID!, clientSecret: e.AUTH_OKTA_SECRET!, issuer: e.AUTH_OKTA_ISSUER! }
    : undefined;
  const github = githubVars.every(Boolean)
    ? {
        clientId: e.AUTH_GITHUB_ID!,
        clientSecret: e.AUTH_GITHUB_SECRET!,
        enterpriseUrl: e.AUTH_GITHUB_ENTERPRISE_URL,
        apiUrl: e.AUTH_GITHUB_ENTERPRISE_URL ? `${e.AUTH_GITHUB_ENTERPRISE_URL.replace(/\/$/, "")}/api/v3` : "https://api.github.com",
        orgs: (e.AUTH_GITHUB_ORGS ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean),
      }
    : undefined;

  if (demo) {
    if (okta || github) {
      problems.push(
        "COUNTERSIGN_DEMO=1 turns on the development sign-in, which must never sit beside a real identity provider: " +
          "unset COUNTERSIGN_DEMO, or the AUTH_OKTA_* / AUTH_GITHUB_* variables.",
      );
    }
    if (e.DATABASE_URL) {
      problems.push("COUNTERSIGN_DEMO=1 runs only on the embedded demo database: unset COUNTERSIGN_DEMO, or DATABASE_URL.");
    }
  } else if (production) {
    if (!e.AUTH_SECRET) problems.push("AUTH_SECRET is required in production (openssl rand -base64 33).");
    if (github && github.orgs.length === 0) {
      problems.push("AUTH_GITHUB_ORGS is required in production with GitHub sign-in: only members of these orgs may sign in.");
    }
    if (!okta && !github) {
      problems.push(
        "No sign-in provider is configured. Set AUTH_OKTA_ID, AUTH_OKTA_SECRET and AUTH_OKTA_ISSUER (Okta), " +
          "or AUTH_GITHUB_ID and AUTH_GITHUB_SECRET (GitHub). The development sign-in is not available in production.",
      );
    }
  }
  if (problems.length > 0) throw new AuthConfigError(`Sign-in is not configured:\n${problems.map((p) => `  - ${p}`).join("\n")}`);

  return {
    okta,
    github,
    // The persona sign-in exists only outside production (or in the demo) and only when no real provider is set up.
    devSignIn: (!production || demo) && !okta && !github,
    demo,
    // Outside production and in the demo a fixed development secret keeps `npm run demo` to one command.
    secret: e.AUTH_SECRET ?? (production && !demo ? undefined : "countersign-development-secret-not-for-production-use"),
    // Countersign builds sign-in URLs from the request's Host unless told not to (set AUTH_URL then).
    trustHost: e.AUTH_TRUST_HOST ?? true,
  };
}
