// Sends anonymous visitors of console pages to the sign-in page. A convenience only: every page,
// server action and route handler checks the session itself.
import { NextResponse, type NextRequest } from "next/server";

const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];

export function proxy(req: NextRequest) {
  if (req.nextUrl.pathname === "/ping") return new Response("pong");
  const signedIn = SESSION_COOKIES.some((name) => req.cookies.has(name) || req.cookies.has(`${name}.0`));
  if (signedIn) return NextResponse.next();
  const url = req.nextUrl.clone();
  url.pathname = "/signin";
  url.search = `?callbackUrl=${encodeURIComponent(req.nextUrl.pathname + req.nextUrl.search)}`;
  return NextResponse.redirect(url);
}

export const config = {
  // Console pages only: not the agent API, auth, health, OpenAPI, SCIM (Okta's bearer token, no
  // cookie), the public keys outsiders verify grants with (/.well-known/jwks.json), the sign-in page
  // or assets (Next's, and the icons in public/ that the sign-in page shows too).
  matcher: ["/((?!api/|scim/|.well-known/|signin|_next/|favicon.ico|icon.svg|apple-touch-icon.png).*)"],
};
