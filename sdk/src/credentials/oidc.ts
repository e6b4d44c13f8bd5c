// OIDC workload identity for the SDK: the issuer's JWT from a string, from a file (a Kubernetes
// projected service account token, re-read on every exchange since the kubelet rotates it), or
// requested from GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, with the audience the policy names).
import { envVar } from "../http.js";
import type { SubjectTokenSource } from "./provider.js";

export const JWT_SUBJECT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";

export type OidcCredentialsOptions =
  /** A token at hand (it is not refreshed: it must outlive the work, or use a file). */
  | { token: string }
  /** A file holding the token, read afresh on every exchange (Kubernetes: /var/run/secrets/…/token). */
  | { tokenFile: string }
  /** GitHub Actions' OIDC token for `audience` (the job needs `permissions: id-token: write`). */
  | { githubActions: { audience: string; fetch?: typeof fetch } };

export function oidcCredentials(opts: OidcCredentialsOptions): SubjectTokenSource {
  const subjectToken = async (): Promise<string> => {
    if ("token" in opts) return opts.token.trim();
    if ("tokenFile" in opts) {
      // Loaded here, not at the top: the SDK also runs where there is no file system.
      const { readFile } = await import("node:fs/promises");
      const token = (await readFile(opts.tokenFile, "utf8")).trim();
      if (!token) throw new Error(`The OIDC token file ${opts.tokenFile} is empty.`);
      return token;
    }
    return githubActionsToken(opts.githubActions.audience, opts.githubActions.fetch ?? globalThis.fetch);
  };
  return { kind: "oidc", subjectTokenType: JWT_SUBJECT_TOKEN_TYPE, subjectToken };
}

async function githubActionsToken(audience: string, f: typeof fetch): Promise<string> {
  const requestUrl = envVar("ACTIONS_ID_TOKEN_REQUEST_URL");
  const requestToken = envVar("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
  if (!requestUrl || !requestToken) {
    throw new Error("GitHub Actions OIDC: ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN are not set (give the job `permissions: id-token: write`).");
  }
  const url = new URL(requestUrl);
  url.searchParams.set("audience", audience);
  const res = await f(url, { headers: { authorization: `bearer ${requestToken}`, accept: "application/json" } });
  if (!res.ok) throw new Error(`GitHub Actions OIDC: the token request answered HTTP ${res.status}.`);
  const body = (await res.json()) as { value?: unknown };
  if (typeof body.value !== "string") throw new Error("GitHub Actions OIDC: the answer has no token.");
  return body.value;
}
