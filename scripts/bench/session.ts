// A signed Auth.js session cookie for a console persona, minted with the server's AUTH_SECRET the
// way Auth.js itself does, so benches can load console pages as a signed-in user without a browser.
import { encode } from "next-auth/jwt";
import type { ReviewerIdentity } from "@/lib/policy/types";

export const BENCH_AUTH_SECRET = "bench-secret-bench-secret-bench-secret-bench";
const COOKIE = "authjs.session-token";

export async function sessionCookie(identity: ReviewerIdentity, secret = BENCH_AUTH_SECRET): Promise<string> {
  const token = await encode({
    salt: COOKIE,
    secret,
    token: { sub: identity.id, email: identity.email, name: identity.name, identity, subject: `${identity.idp}:${identity.id}` },
    maxAge: 60 * 60,
  });
  return `${COOKIE}=${token}`;
}

/** Sign-in settings for a bench server: a real provider must be configured in production. */
export const BENCH_AUTH_ENV = {
  AUTH_SECRET: BENCH_AUTH_SECRET,
  AUTH_OKTA_ID: "bench",
  AUTH_OKTA_SECRET: "bench",
  AUTH_OKTA_ISSUER: "http://127.0.0.1:9/never-contacted",
};
