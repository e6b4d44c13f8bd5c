// Recognises PostgreSQL error conditions through drizzle's wrapping, for both drivers.
function pgCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === "object"; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isUniqueViolation(err: unknown): boolean {
  return pgCode(err) === "23505";
}

// What "the database is not answering" looks like: the driver's own connection errors
// (postgres.js), the socket's, and PostgreSQL's SQLSTATEs for a connection it ended or refused
// (class 08; 57P01–57P03: shut down, crashed, starting up; 53300: too many connections).
const UNAVAILABLE_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/**
 * True when `err` (through drizzle's wrapping) says the database could not be reached or dropped
 * the connection: a transient outage to answer 503 with Retry-After, never a 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === "object"; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * True when `err` says a disk is full: a Node ENOSPC, PostgreSQL's disk_full (53100), or embedded
 * PGlite's file system error with Emscripten's ENOSPC (errno 51), which carries no message.
 */
export function isDiskFull(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === "object"; i++) {
    const { code, errno, name, message } = e as { code?: unknown; errno?: unknown; name?: unknown; message?: unknown };
    if (code === "ENOSPC" || code === "53100") return true;
    if (name === "ErrnoError" && errno === 51) return true;
    if (typeof message === "string" && /No space left on device/i.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
