// Auth.js v5 wiring: Okta (OIDC, groups claim), GitHub (teams via the API), and — only outside
// production with no provider configured — a clearly labelled development sign-in with the demo
// personas. JWT sessions carry the identity and groups as the IdP stated them at sign-in.
import NextAuth, { type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import GitHub from "next-auth/providers/github";
import Okta from "next-auth/providers/okta";
import { PERSONAS } from "@/lib/demo/personas";
import type { ReviewerIdentity } from "@/lib/policy/types";
import { readAuthSettings, type AuthSettings } from "./config";
import { fetchGitHubIdentity } from "./github";
import { recordSignIn, recordSignOut } from "./identities";

// Read lazily (not at import) so `next build` never needs production secrets; start-up validates
// the same settings first and stops with a clear message (lib/runtime/startup.ts).
let cachedSettings: AuthSettings | undefined;
const settings = (): AuthSettings => (cachedSettings ??= readAuthSettings());

type TokenWithIdentity = { identity?: ReviewerIdentity; subject?: string };

function providers(settings: AuthSettings): NextAuthConfig["providers"] {
  const list: NextAuthConfig["providers"] = [];
  if (settings.okta) {
    list.push(
      Okta({
        clientId: settings.okta.clientId,
        clientSecret: settings.okta.clientSecret,
        issuer: settings.okta.issuer,
        authorization: { params: { scope: "openid profile email groups" } },
      }),
    );
  }
  if (settings.github) {
    list.push(
      GitHub({
        clientId: settings.github.clientId,
        clientSecret: settings.github.clientSecret,
        enterprise: settings.github.enterpriseUrl ? { baseUrl: settings.github.enterpriseUrl } : undefined,
        authorization: { params: { scope: "read:user user:email read:org" } },
      }),
    );
  }
  if (settings.devSignIn) {
    list.push(
      Credentials({
        id: "dev",
        name: "Development sign-in",
        credentials: { persona: { label: "Persona", type: "text" } },
        authorize(credentials) {
          const persona = PERSONAS[String(credentials?.persona ?? "") as keyof typeof PERSONAS];
          return persona ? { id: persona.id, email: persona.email, name: persona.name } : null;
        },
      }),
    );
  }
  return list;
}

async function identityAtSignIn(
  settings: AuthSettings,
  provider: string,
  accessToken: string | undefined,
  profile: Record<string, unknown> | undefined,
  user: { email?: string | null; name?: string | null },
): Promise<ReviewerIdentity | null> {
  if (provider === "okta") {
    const email = String(profile?.email ?? user.email ?? "").toLowerCase();
    if (!email) return null;
    const groups = Array.isArray(profile?.groups) ? profile.groups.map(String) : [];
    return { id: email, email, name: String(profile?.name ?? user.name ?? email), idp: "okta", groups };
  }
  if (provider === "github" && settings.github && accessToken) {
    const gh = await fetchGitHubIdentity(accessToken, { apiUrl: settings.github.apiUrl, orgs: settings.github.orgs });
    if (!gh.email) return null;
    return { id: gh.email, email: gh.email, name: gh.name, idp: "github", groups: gh.groups };
  }
  if (provider === "dev" && settings.devSignIn) {
    const persona = Object.values(PERSONAS).find((p) => p.email === user.email);
    return persona ? { ...persona, groups: [...persona.groups] } : null;
  }
  return null;
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  trustHost: true,
  secret: settings().secret,
  session: { strategy: "jwt", maxAge: 8 * 60 * 60 },
  pages: { signIn: "/signin", error: "/signin" },
  providers: providers(settings()),
  callbacks: {
    async jwt({ token, account, profile, user }) {
      const t = token as typeof token & TokenWithIdentity;
      if (account) {
        const identity = await identityAtSignIn(settings(), account.provider, account.access_token, profile as Record<string, unknown> | undefined, user ?? {});
        if (!identity) throw new Error("The identity provider did not return a verified e-mail address.");
        t.identity = identity;
        t.subject = String(profile?.sub ?? account.providerAccountId);
        await recordSignIn(identity, `${account.provider}:${t.subject}`);
      }
      return t;
    },
    session({ session, token }) {
      const identity = (token as TokenWithIdentity).identity;
      return { ...session, identity } as typeof session;
    },
  },
  events: {
    async signOut(message) {
      const identity = "token" in message ? (message.token as TokenWithIdentity | null)?.identity : undefined;
      if (identity) await recordSignOut(identity);
    },
  },
}));

export function signInMethods() {
  const s = settings();
  return { okta: Boolean(s.okta), github: Boolean(s.github), dev: s.devSignIn };
}
