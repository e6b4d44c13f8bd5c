// A local OIDC issuer standing in for GitHub Actions or a Kubernetes API server: real HTTP on
// 127.0.0.1 serving /.well-known/openid-configuration and a JWKS, tokens signed with its own keys
// (RS256 by default), key rotation, and a count of JWKS fetches (to see the cache and its refetch).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";

type IssuerKey = { kid: string; alg: string; privateKey: CryptoKey; publicJwk: JWK };

export type OidcIssuer = {
  url: string;
  /** How many times the JWKS was fetched. */
  jwksFetches(): number;
  /** How many times the discovery document was asked for. */
  discoveryFetches(): number;
  /** While on, discovery answers 503 (an issuer having an outage). */
  failDiscovery(on: boolean): void;
  /** A new signing key (new kid), published beside the old ones unless `retireOld`. */
  rotate(opts?: { retireOld?: boolean }): Promise<void>;
  /** A token from this issuer; claims override the defaults (iss, aud, sub, iat, nbf, exp in 5 min). */
  sign(claims?: JWTPayload, opts?: { kid?: string; headerTyp?: string; unpublishedKey?: boolean }): Promise<string>;
  /** The current public key (for forgery tests that misuse it). */
  publicJwk(): JWK;
  close(): Promise<void>;
};

async function newKey(alg = "RS256"): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `k-${Math.random().toString(36).slice(2, 10)}`;
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

export async function startOidcIssuer(opts: { issuerPath?: string; audience?: string } = {}): Promise<OidcIssuer> {
  const keys: IssuerKey[] = [await newKey()];
  let fetches = 0;
  let discoveries = 0;
  let failing = false;
  let url = "";
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (path === `${opts.issuerPath ?? ""}/.well-known/openid-configuration`) {
      discoveries += 1;
      if (failing) return send(503, { error: "unavailable" });
      return send(200, { issuer: url, jwks_uri: `${url}/keys`, id_token_signing_alg_values_supported: ["RS256"] });
    }
    if (path === `${opts.issuerPath ?? ""}/keys`) {
      fetches += 1;
      return send(200, { keys: keys.map((k) => k.publicJwk) });
    }
    send(404, { error: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${opts.issuerPath ?? ""}`;
  const current = () => keys.at(-1)!;
  return {
    url,
    jwksFetches: () => fetches,
    discoveryFetches: () => discoveries,
    failDiscovery: (on) => {
      failing = on;
    },
    async rotate({ retireOld = false } = {}) {
      const key = await newKey();
      if (retireOld) keys.splice(0, keys.length);
      keys.push(key);
    },
    async sign(claims = {}, signOpts = {}) {
      const key = signOpts.unpublishedKey ? await newKey() : current();
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: url, aud: opts.audience ?? "countersign", sub: "repo:acme/app:ref:refs/heads/main", iat: now, nbf: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: key.alg, kid: signOpts.kid ?? key.kid, ...(signOpts.headerTyp ? { typ: signOpts.headerTyp } : {}) })
        .sign(key.privateKey);
    },
    publicJwk: () => current().publicJwk,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
