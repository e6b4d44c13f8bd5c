// Confirming a person's groups again without them: from Okta with the refresh token kept at sign-in
// (the new ID token's `groups` claim, its signature checked against the issuer's keys), from GitHub
// with the access token (org membership and teams), and for the development personas from their
// fixed lists. Each answers the groups as of now, or throws when the provider will not say.
import { createRemoteJWKSet, jwtVerify } from "jose";
import type { IdentityRow } from "@/db/schema";
import { DEV_ISSUER, PERSONAS } from "@/lib/demo/personas";
import { readAuthSettings } from "./config";
import { fetchGitHubIdentity } from "./github";
import { REFRESH_CREDENTIAL } from "./people";
import { unseal } from "./sealed";

export type Refreshed = { groups: string[]; refreshCredential?: string };

export class RefreshError extends Error {}

const TIMEOUT_MS = 5_000;

type Discovery = { token_endpoint: string; jwks_uri: string; issuer: string };
const discoveries = new Map<string, Promise<Discovery>>();
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function discover(issuer: string): Promise<Discovery> {
  let d = discoveries.get(issuer);
  if (!d) {
    d = fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(TIMEOUT_MS) }).then(async (res) => {
      if (!res.ok) throw new RefreshError(`discovery answered ${res.status}`);
      return (await res.json()) as Discovery;
    });
    d.catch(() => discoveries.delete(issuer));
    discoveries.set(issuer, d);
  }
  return d;
}

async function refreshOkta(identity: IdentityRow, credential: string): Promise<Refreshed> {
  const okta = readAuthSettings().okta;
  if (!okta || okta.issuer !== identity.issuer) throw new RefreshError("Okta is not configured for this identity's issuer");
  const meta = await discover(okta.issuer);
  const res = await fetch(meta.token_endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(okta.clientId)}:${encodeURIComponent(okta.clientSecret)}`).toString("base64")}`,
    },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: credential, scope: "openid profile email groups offline_access" }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!res.ok) throw new RefreshError(`the token endpoint answered ${res.status}`);
  const body = (await res.json()) as { id_token?: string; refresh_token?: string };
  if (!body.id_token) throw new RefreshError("the token endpoint returned no ID token");
  let keys = keySets.get(meta.jwks_uri);
  if (!keys) keySets.set(meta.jwks_uri, (keys = createRemoteJWKSet(new URL(meta.jwks_uri))));
  const { payload } = await jwtVerify(body.id_token, keys, { issuer: meta.issuer, audience: okta.clientId });
  if (payload.sub !== identity.subject) throw new RefreshError("the refreshed ID token names another subject");
  const groups = Array.isArray(payload.groups) ? payload.groups.map(String) : [];
  return { groups, refreshCredential: body.refresh_token };
}

async function refreshGitHub(credential: string): Promise<Refreshed> {
  const github = readAuthSettings().github;
  if (!github) throw new RefreshError("GitHub sign-in is not configured");
  const gh = await fetchGitHubIdentity(credential, { apiUrl: github.apiUrl, orgs: github.orgs });
  if (github.orgs.length > 0 && gh.orgs.length === 0) return { groups: [] };
  return { groups: gh.groups };
}

/** The identity's groups as the provider states them now. */
export async function refreshGroups(identity: IdentityRow): Promise<Refreshed> {
  if (identity.issuer === DEV_ISSUER) {
    const settings = readAuthSettings();
    const persona = Object.values(PERSONAS).find((p) => p.key === identity.subject);
    if (!settings.devSignIn || !persona) throw new RefreshError("no such development persona");
    return { groups: [...persona.groups] };
  }
  const credential = identity.refreshCredential ? await unseal(REFRESH_CREDENTIAL, identity.refreshCredential) : null;
  if (!credential) throw new RefreshError("no credential to refresh with; the person must sign in again");
  try {
    if (identity.idp === "okta") return await refreshOkta(identity, credential);
    if (identity.idp === "github") return await refreshGitHub(credential);
  } catch (err) {
    throw err instanceof RefreshError ? err : new RefreshError(err instanceof Error ? err.message : String(err));
  }
  throw new RefreshError(`no way to refresh ${identity.idp} identities`);
}
