// Auth.js v5 wiring: Okta (OIDC, `groups` claim, refresh token kept sealed to confirm groups later),
// GitHub (verified primary e-mail, org membership, teams) and — only outside production with no
// provider configured — a clearly labelled development sign-in with the demo personas.
// The cookie holds a JWT with nothing but a session id: who the person is and what they may do is
// read from the database on every request (lib/auth/session.ts), so sign-out, idle timeout, an admin
// or SCIM can end it. Redirects after sign-in stay on this origin.
import NextAuth, { type Account, type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import GitHub from "next-auth/providers/github";
import Okta from "next-auth/providers/okta";
import { PERSONAS } from "@/lib/demo/personas";
import { env } from "@/lib/config/env";
import { readAuthSettings, type AuthSettings } from "./config";
import { recordSignIn, type SignInClaims } from "./people";
import { claimsAtSignIn } from "./sign-in-claims";
import { safeRedirectPath } from "./redirect";
import { endSessionAtSignOut } from "./sessions";

// Read lazily (not at import) so `next build` never needs production secrets; start-up validates
// the same settings first and stops with a clear message (lib/runtime/startup.ts).
let cachedSettings: AuthSettings | undefined;
const settings = (): AuthSettings => (cachedSettings ??= readAuthSettings());

type SessionToken = { sid?: string };

function providers(s: AuthSettings): NextAuthConfig["providers"] {
  const list: NextAuthConfig["providers"] = [];
  if (s.okta) {
    list.push(
      Okta({
        clientId: s.okta.clientId,
        clientSecret: s.okta.clientSecret,
        issuer: s.okta.issuer,
        // offline_access: a refresh token, so groups can be confirmed again without the person.
        authorization: { params: { scope: "openid profile email groups offline_access" } },
      }),
    );
  }
  if (s.github) {
    list.push(
      GitHub({
        clientId: s.github.clientId,
        clientSecret: s.github.clientSecret,
        enterprise: s.github.enterpriseUrl ? { baseUrl: s.github.enterpriseUrl } : undefined,
        authorization: { params: { scope: "read:user user:email read:org" } },
      }),
    );
  }
  if (s.devSignIn) {
    list.push(
      Credentials({
        id: "dev",
        name: "Development sign-in",
        credentials: { persona: { label: "Persona", type: "text" } },
        authorize(credentials) {
          const persona = PERSONAS[String(credentials?.persona ?? "") as keyof typeof PERSONAS];
          return persona ? { id: persona.key, email: persona.email, name: persona.name } : null;
        },
      }),
    );
  }
  return list;
}

// The claims computed when the sign-in is checked, for the jwt callback of the same request.
const pending = new WeakMap<Account, SignInClaims>();

export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  trustHost: settings().trustHost,
  secret: settings().secret,
  // The cookie may live as long as a session can; the session row decides whether it still does.
  session: { strategy: "jwt", maxAge: Math.floor(env().COUNTERSIGN_SESSION_MAX_LIFETIME / 1000) },
  pages: { signIn: "/signin", error: "/signin" },
  providers: providers(settings()),
  callbacks: {
    async signIn({ account, profile, user }) {
      if (!account) return false;
      const claims = await claimsAtSignIn(settings(), account, profile, user);
      if (typeof claims === "string") return `/signin?error=${claims}`;
      pending.set(account, claims);
      return true;
    },
    async jwt({ token, account, profile, user }) {
      if (!account) return token;
      const claims = pending.get(account) ?? (await claimsAtSignIn(settings(), account, profile, user ?? {}));
      if (typeof claims === "string") throw new Error(`sign-in refused: ${claims}`);
      const { sessionId } = await recordSignIn(claims);
      // Nothing about the person rides in the cookie: only the session id.
      return { sid: sessionId } satisfies SessionToken;
    },
    session({ session, token }) {
      return { ...session, sid: (token as SessionToken).sid } as typeof session;
    },
    redirect({ url, baseUrl }) {
      return `${baseUrl}${safeRedirectPath(url, baseUrl)}`;
    },
  },
  events: {
    async signOut(message) {
      const sid = "token" in message ? (message.token as SessionToken | null)?.sid : undefined;
      if (sid) await endSessionAtSignOut(sid);
    },
  },
}));

export function signInMethods() {
  const s = settings();
  return { okta: Boolean(s.okta), github: Boolean(s.github), dev: s.devSignIn, demo: s.demo };
}
