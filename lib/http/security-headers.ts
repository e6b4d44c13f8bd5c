// The browser-facing security headers, written once: every response (Next's routes through
// next.config.ts, the agent API's direct path through its table) carries the static ones, and every
// page gets a Content-Security-Policy with a fresh nonce from proxy.ts, which Next.js applies to its
// own scripts. No page may be framed; no script runs unless the server nonced it.

/** Headers every response carries. HSTS only in production (browsers ignore it over plain HTTP anyway). */
export function staticSecurityHeaders(production: boolean): Record<string, string> {
  return {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "cross-origin-opener-policy": "same-origin",
    ...(production ? { "strict-transport-security": "max-age=31536000; includeSubDomains" } : {}),
  };
}

/**
 * The page CSP: scripts only with this response's nonce ('strict-dynamic' lets Next's nonced loader
 * load its chunks), no plugins, no framing, forms and connections to this origin — plus the
 * identity providers a sign-in form may be sent on to. Development adds 'unsafe-eval' for React's
 * dev tooling.
 */
export function pageContentSecurityPolicy(nonce: string, opts: { production: boolean; signInOrigins: string[] }): string {
  const formTargets = ["'self'", ...opts.signInOrigins].join(" ");
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${opts.production ? "" : " 'unsafe-eval'"}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    `form-action ${formTargets}`,
    "frame-ancestors 'none'",
  ].join("; ");
}
