// A real OpenID Connect provider on localhost standing in for Okta (oauth2-mock-server): discovery,
// authorize with PKCE, token endpoint, signed RS256 ID tokens, JWKS. Whoever signs in next gets the
// claims set with `nextUser`, including the Okta-style `groups` claim. It checks what Okta checks
// on a refresh: the refresh token must be one it issued and not yet used (they rotate), and the new
// ID token states the person's groups as they are *now* (`setGroups`). A sign-in's `auth_time` is
// the moment of that sign-in unless `authenticatedAt` says the person's IdP session is older.
import { randomUUID } from "node:crypto";
import { OAuth2Server } from "oauth2-mock-server";

export type OidcUser = { sub: string; email: string; name: string; groups: string[]; emailVerified?: boolean };

export type OidcProvider = {
  issuer: string;
  /** Sets the person the next authorization-code exchange signs in. */
  nextUser(user: OidcUser, opts?: { authenticatedAt?: Date }): void;
  /** Changes a person's groups at the provider (what the next refresh answers). */
  setGroups(sub: string, groups: string[]): void;
  /** Makes every refresh token of a person invalid (as deprovisioning or revocation does). */
  revokeRefreshTokens(sub: string): void;
  /** A refresh token the provider will honour for this person, as if issued at a sign-in. */
  issueRefreshToken(user: OidcUser): string;
  /** Token requests seen so far (to prove the flow really went through the provider). */
  tokenRequests(): number;
  /** Refresh-token grants answered (successfully or not). */
  refreshRequests(): number;
  /** The query of every authorization request (to check max_age / prompt). */
  authorizeRequests(): URLSearchParams[];
  stop(): Promise<void>;
};

export async function startOidcProvider(port = 0): Promise<OidcProvider> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate("RS256");
  await server.start(port, "127.0.0.1");
  const address = server.address();
  server.issuer.url = `http://127.0.0.1:${address.port}`;

  let next: { user: OidcUser; authTime?: Date } | null = null;
  const users = new Map<string, OidcUser>();
  const refreshTokens = new Map<string, string>(); // token -> sub
  const authorizations: URLSearchParams[] = [];
  let tokens = 0;
  let refreshes = 0;

  const issue = (user: OidcUser) => {
    users.set(user.sub, users.get(user.sub) ?? { ...user });
    const token = `rt-${randomUUID()}`;
    refreshTokens.set(token, user.sub);
    return token;
  };

  server.service.on("beforeAuthorizeRedirect", (_redirect: unknown, req: { query: Record<string, string> }) => {
    authorizations.push(new URLSearchParams(req.query));
  });
  server.service.on("beforeTokenSigning", (token: { payload: Record<string, unknown> }, req: { body: Record<string, string> }) => {
    if (req.body.grant_type === "refresh_token") {
      const sub = refreshTokens.get(req.body.refresh_token ?? "");
      const user = sub ? users.get(sub) : undefined;
      // An unknown or spent token: the response hook answers invalid_grant; sign nothing useful.
      if (!user) return;
      Object.assign(token.payload, { sub: user.sub, email: user.email, email_verified: user.emailVerified ?? true, name: user.name, groups: user.groups });
      return;
    }
    if (!next) throw new Error("OIDC test provider: call nextUser() before signing in");
    const { user, authTime } = next;
    users.set(user.sub, { ...user });
    Object.assign(token.payload, {
      sub: user.sub,
      email: user.email,
      email_verified: user.emailVerified ?? true,
      name: user.name,
      preferred_username: user.email,
      groups: user.groups,
      auth_time: Math.floor((authTime ?? new Date()).getTime() / 1000),
    });
  });
  server.service.on("beforeResponse", (response: { body: Record<string, unknown>; statusCode: number }, req: { body: Record<string, string> }) => {
    tokens += 1;
    if (req.body.grant_type === "refresh_token") {
      refreshes += 1;
      const presented = req.body.refresh_token ?? "";
      const sub = refreshTokens.get(presented);
      if (!sub) {
        response.statusCode = 400;
        response.body = { error: "invalid_grant", error_description: "The refresh token is invalid or expired." };
        return;
      }
      refreshTokens.delete(presented); // rotation: each refresh token works once
      response.body.refresh_token = issue(users.get(sub)!);
      return;
    }
    if (req.body.grant_type === "authorization_code" && next) {
      response.body.refresh_token = issue(next.user);
    }
  });

  return {
    issuer: server.issuer.url,
    nextUser: (user, opts = {}) => {
      next = { user, authTime: opts.authenticatedAt };
    },
    setGroups: (sub, groups) => {
      const user = users.get(sub);
      if (user) user.groups = [...groups];
    },
    revokeRefreshTokens: (sub) => {
      for (const [token, owner] of refreshTokens) if (owner === sub) refreshTokens.delete(token);
    },
    issueRefreshToken: issue,
    tokenRequests: () => tokens,
    refreshRequests: () => refreshes,
    authorizeRequests: () => authorizations,
    stop: () => server.stop(),
  };
}
