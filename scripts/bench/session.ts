// A signed-in console session for a bench persona: the person signs in through the same core the
// Auth.js callback calls (identity, person, session row in the bench's database), and the cookie is
// minted with the server's AUTH_SECRET the way Auth.js does, so benches load console pages as a
// signed-in user without a browser.
import { encode } from "next-auth/jwt";
import { closeDatabase, openDatabase, setDatabaseForProcess } from "@/db/client";
import { settleSealer } from "@/lib/audit/sealer";
import { recordSignIn } from "@/lib/auth/people";

export const BENCH_AUTH_SECRET = "bench-secret-bench-secret-bench-secret-bench";
const COOKIE = "authjs.session-token";

/** Sign-in settings for a bench server: a real provider must be configured in production. */
export const BENCH_AUTH_ENV = {
  AUTH_SECRET: BENCH_AUTH_SECRET,
  AUTH_OKTA_ID: "bench",
  AUTH_OKTA_SECRET: "bench",
  AUTH_OKTA_ISSUER: "http://127.0.0.1:9/never-contacted",
};

export type BenchPersona = { subject: string; email: string; name: string; groups: string[] };

export async function sessionCookie(databaseUrl: string, who: BenchPersona, secret = BENCH_AUTH_SECRET): Promise<string> {
  const handle = await openDatabase({ databaseUrl, poolSize: 2 });
  setDatabaseForProcess(handle);
  try {
    const { sessionId } = await recordSignIn({
      issuer: BENCH_AUTH_ENV.AUTH_OKTA_ISSUER,
      subject: who.subject,
      idp: "okta",
      login: who.email,
      email: who.email,
      emailVerified: true,
      name: who.name,
      groups: who.groups,
      authTime: new Date(),
    });
    const token = await encode({ salt: COOKIE, secret, token: { sid: sessionId }, maxAge: 60 * 60 });
    return `${COOKIE}=${token}`;
  } finally {
    await settleSealer();
    await closeDatabase();
  }
}
