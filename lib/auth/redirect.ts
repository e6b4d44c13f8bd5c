// Where to send a browser after sign-in (or any `callbackUrl`): only a path on this origin, decided
// by parsing it as a URL the way the browser will — so `/\evil.example`, `/%09/evil.example`,
// `//evil.example` and absolute URLs elsewhere all become `/`.
const PLACEHOLDER_ORIGIN = "http://countersign.invalid";

export function safeRedirectPath(raw: string | null | undefined, base: string = PLACEHOLDER_ORIGIN): string {
  if (!raw) return "/";
  let origin: string;
  let url: URL;
  try {
    origin = new URL(base).origin;
    url = new URL(raw, origin);
  } catch {
    return "/";
  }
  if (url.origin !== origin) return "/";
  const path = `${url.pathname}${url.search}${url.hash}`;
  // What we echo must itself parse back to this origin (no scheme-relative or backslash tricks).
  if (!path.startsWith("/") || path.startsWith("//") || path.includes("\\")) return "/";
  return path;
}
