// Runs before every page: gives it a Content-Security-Policy with a fresh nonce (Next.js puts the
// nonce on its own scripts), and sends anonymous visitors of console pages to the sign-in page. The
// redirect is a convenience only: every page, server action and route handler checks the session.
import { NextResponse, type NextRequest } from "next/server";
import { pageContentSecurityPolicy } from "@/lib/http/security-headers";

const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];

/** Where a sign-in form may send the browser on to: the configured identity providers. */
function signInOrigins(): string[] {
  const origins = [process.env.AUTH_OKTA_ISSUER, process.env.AUTH_GITHUB_ENTERPRISE_URL ?? (process.env.AUTH_GITHUB_ID ? "https://github.com" : undefined)];
  return origins.flatMap((u) => {
    try {
      return u ? [new URL(u).origin] : [];
    } catch {
      return [];
    }
  });
}

export function proxy(req: NextRequest) {
  const { pathname } = req.nextUrl;
  if (pathname === "/ping") return new Response("pong");
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const csp = pageContentSecurityPolicy(nonce, { production: process.env.NODE_ENV === "production", signInOrigins: signInOrigins() });
  const signedIn = SESSION_COOKIES.some((name) => req.cookies.has(name) || req.cookies.has(`${name}.0`));
  let response: NextResponse;
  if (signedIn || pathname === "/signin" || pathname.startsWith("/signin/")) {
    // Next.js reads the nonce from the request's CSP header and puts it on the scripts it writes.
    const headers = new Headers(req.headers);
    headers.set("content-security-policy", csp);
    response = NextResponse.next({ request: { headers } });
  } else {
    const url = req.nextUrl.clone();
    url.pathname = "/signin";
    url.search = `?callbackUrl=${encodeURIComponent(pathname + req.nextUrl.search)}`;
    response = NextResponse.redirect(url);
  }
  response.headers.set("content-security-policy", csp);
  return response;
}

export const config = {
  // Pages only: not the agent API, auth, health, OpenAPI, the Prometheus scrape (/metrics, its own token), SCIM (Okta's bearer token, no cookie), the
  // public keys outsiders verify grants with (/.well-known/jwks.json), or assets (Next's, and the
  // icons in public/ that the sign-in page shows too).
  matcher: ["/((?!api/|metrics$|scim/|.well-known/|_next/|favicon.ico|icon.svg|apple-touch-icon.png).*)"],
};
