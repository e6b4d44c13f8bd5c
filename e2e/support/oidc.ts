// A real OpenID Connect provider on localhost standing in for Okta (oauth2-mock-server): discovery,
// authorize with PKCE, token endpoint, signed RS256 ID tokens. Whoever signs in next gets the
// claims set with `nextUser`, including the Okta-style `groups` claim.
import { OAuth2Server } from "oauth2-mock-server";

export type OidcUser = { sub: string; email: string; name: string; groups: string[] };

export type OidcProvider = {
  issuer: string;
  /** Sets the person the next authorization-code exchange signs in. */
  nextUser(user: OidcUser): void;
  /** Token requests seen so far (to prove the flow really went through the provider). */
  tokenRequests(): number;
  stop(): Promise<void>;
};

export async function startOidcProvider(port = 0): Promise<OidcProvider> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate("RS256");
  await server.start(port, "127.0.0.1");
  const address = server.address();
  server.issuer.url = `http://127.0.0.1:${address.port}`;

  let user: OidcUser | null = null;
  let tokens = 0;
  server.service.on("beforeTokenSigning", (token: { payload: Record<string, unknown> }) => {
    if (!user) throw new Error("OIDC test provider: call nextUser() before signing in");
    Object.assign(token.payload, { sub: user.sub, email: user.email, email_verified: true, name: user.name, groups: user.groups });
  });
  server.service.on("beforeResponse", () => {
    tokens += 1;
  });

  return {
    issuer: server.issuer.url,
    nextUser: (u) => {
      user = u;
    },
    tokenRequests: () => tokens,
    stop: () => server.stop(),
  };
}
