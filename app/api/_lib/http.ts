// The agent API's HTTP adapter: body reading with limits, agent authentication and rate limiting,
// and the single mapping from domain errors to JSON responses.
import type { z } from "zod";
import { isDatabaseUnavailable, isDiskFull } from "@/db/errors";
import type { Agent } from "@/db/schema";
import { authenticateCaller, type AgentCaller } from "@/lib/agents/registry";
import { consumeAgentRateLimit } from "@/lib/agents/rate-limit";
import { CountersignError, issuesFromZod } from "@/lib/errors";
import { log } from "@/lib/log";
import { LIMITS } from "@/lib/requests/schema";
import { parseStrictJson } from "@/lib/input/strict-json";
import { isUuid } from "@/lib/vocabulary";

// The JSON text of each response json() made: server.ts writes it to the socket as it is, instead of
// reading it back out of the Response's body stream (a measured tenth of the agent API's CPU).
const jsonTexts = new WeakMap<Response, string>();

/** A JSON Response whose text server.ts can find (jsonTextOf); with or without the body stream built. */
function jsonResponse(body: unknown, status: number, headers: Record<string, string>, stream: boolean): Response {
  const text = JSON.stringify(body);
  const res = new Response(stream ? text : null, { status, headers: { "content-type": "application/json", "cache-control": "no-store", ...headers } });
  jsonTexts.set(res, text);
  return res;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return jsonResponse(body, status, headers, true);
}

/** The body of a response json() or answer() made, or undefined for any other response. */
export const jsonTextOf = (res: Response): string | undefined => jsonTexts.get(res);

/**
 * json() for the agent API's operations: the Response carries status and headers but no body
 * stream (building one from the text is a measured tenth of a read's CPU in Node, see the README's
 * Performance section); the text rides beside it. The agent API's entry points finish it:
 * server.ts writes the text to the socket, `agentApi.fetch` attaches it as the body (withBody).
 */
export function answer(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return jsonResponse(body, status, headers, false);
}

/** A response answer() made, with its text attached as the body; any other response as it is. */
export function withBody(res: Response): Response {
  const text = jsonTexts.get(res);
  if (text === undefined || res.body !== null) return res;
  const full = new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
  jsonTexts.set(full, text);
  return full;
}

/** Seconds a caller is told to wait while the database is unreachable (a restart takes a few). */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

/** The answer while the database is unreachable: retryable, and what the agent should do. */
export function databaseUnavailable(): CountersignError {
  return new CountersignError("unavailable", "The database is not answering; retry shortly.", {
    retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
  });
}

// An outage fails every call at once: log it once per burst, not once per request.
let lastOutageLog = 0;

export function toResponse(err: unknown): Response {
  if (isDatabaseUnavailable(err)) {
    if (Date.now() - lastOutageLog > 5_000) {
      lastOutageLog = Date.now();
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "database unavailable: answering 503");
    }
    return toResponse(databaseUnavailable());
  }
  if (isDiskFull(err)) {
    log.error({ err: err instanceof Error ? err.message : String(err) }, "database disk full: answering 503");
    return toResponse(
      new CountersignError("unavailable", "The database cannot store anything right now; retry later.", { retryAfterSeconds: 30 }),
    );
  }
  if (err instanceof CountersignError) {
    const headers: Record<string, string> = {};
    if (err.retryAfterSeconds !== undefined) headers["retry-after"] = String(err.retryAfterSeconds);
    return json(err.toJSON(), err.status, headers);
  }
  log.error({ err }, "unhandled error in API route");
  return json(new CountersignError("internal", "Internal error; it has been logged.").toJSON(), 500);
}

type Handler<C> = (req: Request, ctx: C) => Promise<Response>;

/** Wraps a route handler so every failure becomes typed JSON. */
export function apiRoute<C>(handler: Handler<C>): Handler<C> {
  return async (req, ctx) => {
    try {
      return await handler(req, ctx);
    } catch (err) {
      return toResponse(err);
    }
  };
}

export async function authenticate(req: Request): Promise<Agent> {
  return (await authenticateWorkload(req)).agent;
}

/** The agent and the workload identity it proved (null for a static key), rate limited like every agent call. */
export async function authenticateWorkload(req: Request): Promise<AgentCaller> {
  const caller = await authenticateCaller(req.headers.get("authorization"));
  await consumeAgentRateLimit(caller.agent.id);
  return caller;
}

/** The body's bytes: 413 when it declares or reaches more than `limit` (a chunked body is cut off there). */
export async function readBodyBytes(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  const tooLarge = () =>
    new CountersignError("payload_too_large", `Request body exceeds ${limit / 1024} KiB.`);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  // With a declared length the HTTP parser already bounds the body: read it in one go. Chunked
  // bodies (no length) are read incrementally and cut off at the limit.
  if (Number.isFinite(declared)) return new Uint8Array(await req.arrayBuffer());
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

async function readLimited(req: Request, limit: number): Promise<string> {
  return new TextDecoder("utf-8", { fatal: false }).decode(await readBodyBytes(req, limit));
}

/** The body exactly as sent (signature checks need the raw bytes), 413 over the limit. */
export function readRawBody(req: Request, limit: number = LIMITS.bodyBytes): Promise<string> {
  return readLimited(req, limit);
}

/** Reads a JSON body (415 if not JSON, 413 if too large, 400 if malformed or invalid). */
export async function readJson<S extends z.ZodType>(
  req: Request,
  schema: S,
  opts: { optional?: boolean } = {},
): Promise<z.infer<S>> {
  const type = req.headers.get("content-type") ?? "";
  const text = await readLimitedIfJson(req, type, opts.optional ?? false);
  let value: unknown = {};
  if (text.trim() !== "") {
    value = parseStrictJson(text);
  } else if (!opts.optional) {
    throw new CountersignError("invalid_request", "A JSON body is required.");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new CountersignError("invalid_request", "The request body is invalid.", { issues: issuesFromZod(parsed.error.issues) });
  }
  return parsed.data;
}

/** A JSON body's text: bytes that are not UTF-8 are refused, never replaced with U+FFFD. */
async function readUtf8(req: Request, limit: number): Promise<string> {
  const bytes = await readBodyBytes(req, limit);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CountersignError("invalid_json", "The request body is not valid UTF-8.");
  }
}

async function readLimitedIfJson(req: Request, type: string, optional: boolean): Promise<string> {
  const isJson = /^application\/([a-z0-9.+-]*\+)?json\b/i.test(type.trim());
  if (!isJson) {
    // An action endpoint may be called with no body at all. Decide by reading the body, not by
    // Content-Length: a chunked body has none, and must not be silently ignored.
    if (optional && !type && (await readLimited(req, LIMITS.bodyBytes)).trim() === "") return "";
    throw new CountersignError("unsupported_media_type", "Send the body as Content-Type: application/json.");
  }
  return readUtf8(req, LIMITS.bodyBytes);
}


/** An id from the path: any-case UUID, lower-cased; anything else is simply not found. */
function parsePathId(id: string | undefined, notFound: string): string {
  if (id === undefined || !isUuid(id)) throw new CountersignError("not_found", notFound);
  return id.toLowerCase();
}

export const parseRequestId = (id: string | undefined): string => parsePathId(id, "No such request.");
export const parseGrantId = (id: string | undefined): string => parsePathId(id, "No such grant.");

type MethodHandler = (req: Request) => Promise<Response>;

/**
 * Handlers for the methods a route does not answer: 405 with the JSON envelope and `Allow`, where
 * Next.js would answer an empty 405. Export the ones the route lacks, e.g.
 * `export const { POST, PUT, PATCH, DELETE } = refuseOtherMethods("GET");`.
 */
export function refuseOtherMethods(...allowed: string[]): Record<"GET" | "POST" | "PUT" | "PATCH" | "DELETE", MethodHandler> {
  const refuse: MethodHandler = async (req) =>
    json(new CountersignError("method_not_allowed", `Use ${allowed.join(" or ")} for ${new URL(req.url).pathname}.`).toJSON(), 405, { allow: allowed.join(", ") });
  return { GET: refuse, POST: refuse, PUT: refuse, PATCH: refuse, DELETE: refuse };
}

/** Any path under /api that no route answers: the JSON envelope's 404, whatever the method. */
export const noSuchApiRoute: MethodHandler = async (req) =>
  toResponse(new CountersignError("not_found", `No API route ${new URL(req.url).pathname}.`));
