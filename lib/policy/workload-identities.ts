// Which workload identity rule a verified OIDC token matches: the issuer and audience exactly, and
// every claim the rule names against its globs (the resource glob rules of lib/policy/glob.ts).
import { matchesResource } from "./glob";
import type { Policy, WorkloadIdentityRule } from "./types";

/** Why an issuer cannot be trusted as written, or undefined. http:// is for a loopback stand-in only. */
export function issuerProblem(issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return `expected the issuer's URL, such as "https://token.actions.githubusercontent.com"; got ${JSON.stringify(issuer)}`;
  }
  if (url.search || url.hash || url.username || url.password) return "an issuer URL has no query, fragment or credentials";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return undefined;
  return "issuers must be https:// (http:// only on 127.0.0.1, [::1] or localhost, for a local stand-in in tests)";
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === "127.0.0.1" || hostname === "[::1]" || hostname === "localhost";
}

/** The claims a rule matched on, as the token carried them: what the audit and the request page show. */
export type MatchedClaims = Record<string, string>;

/**
 * The first rule (in file order) for this issuer whose audience the token carries and whose every
 * claim matches; a claim that is absent or not a string never matches.
 */
export function matchWorkloadIdentity(
  policy: Pick<Policy, "workloadIdentities">,
  issuer: string,
  audiences: readonly string[],
  claims: Record<string, unknown>,
): { rule: WorkloadIdentityRule; matched: MatchedClaims } | null {
  for (const rule of policy.workloadIdentities) {
    if (rule.issuer !== issuer || !audiences.includes(rule.audience)) continue;
    const matched: MatchedClaims = {};
    const ok = Object.entries(rule.match).every(([claim, globs]) => {
      const value = claims[claim];
      if (typeof value !== "string") return false;
      matched[claim] = value;
      return globs.some((glob) => matchesResource(glob, value));
    });
    if (ok) return { rule, matched };
  }
  return null;
}

/** The audiences the policy accepts for an issuer (empty: the issuer is not trusted at all). */
export function audiencesFor(policy: Pick<Policy, "workloadIdentities">, issuer: string): string[] {
  return [...new Set(policy.workloadIdentities.filter((r) => r.issuer === issuer).map((r) => r.audience))];
}
