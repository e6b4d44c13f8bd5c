// SCIM 2.0 (/scim/v2/*), the door Okta provisions through: one table of operations, each a thin
// handler that reads the query or body, calls one lib/scim function, and answers
// application/scim+json. Every failure — SCIM off (404), a bad token (401), a bad body, filter or
// path (400), a missing resource (404), a taken name (409), a method the path does not take
// (405) — answers the RFC 7644 §3.12 error envelope. Served by Next.js through
// app/scim/v2/[[...path]]/route.ts, under `npm run dev` and `npm start` (server.ts hands every
// path but /api/v1 to Next.js) alike.
import { Hono, type Context } from "hono";
import { readBodyBytes } from "@/app/api/_lib/http";
import { env } from "@/lib/config/env";
import { CountersignError, type ErrorCode } from "@/lib/errors";
import { log } from "@/lib/log";
import { authenticateScim } from "@/lib/scim/auth";
import type { ScimContext } from "@/lib/scim/directory";
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from "@/lib/scim/groups";
import { listResponse, resourceTypes, schemaDocuments, serviceProviderConfig } from "@/lib/scim/resources";
import { parseScimJson, SCIM, SCIM_LIMITS, type JsonObject } from "@/lib/scim/schema";
import { createUser, deleteUser, getUser, listUsers, patchUser, replaceUser } from "@/lib/scim/users";

const BASE_PATH = "/scim/v2";

// ── responses ─────────────────────────────────────────────────────────────────────────────────

function scimJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/scim+json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/** RFC 7644 §3.12 `scimType` of each coded error a SCIM call can end in. */
const SCIM_TYPE: Partial<Record<ErrorCode, string>> = {
  invalid_json: "invalidSyntax",
  invalid_request: "invalidValue",
  invalid_filter: "invalidFilter",
  invalid_path: "invalidPath",
  no_target: "noTarget",
  mutability: "mutability",
  conflict: "uniqueness",
};

/** Every failure as the SCIM error envelope; anything uncoded is logged and answered 500 without detail. */
export function scimError(err: unknown, headers: Record<string, string> = {}): Response {
  if (!(err instanceof CountersignError)) {
    log.error({ err }, "unhandled error in SCIM route");
    return scimJson({ schemas: [SCIM.error], status: "500", detail: "Internal error; it has been logged." }, 500);
  }
  const scimType = SCIM_TYPE[err.code];
  const extra: Record<string, string> = err.status === 401 ? { "www-authenticate": 'Bearer realm="Countersign SCIM"' } : {};
  return scimJson({ schemas: [SCIM.error], status: String(err.status), ...(scimType ? { scimType } : {}), detail: err.message }, err.status, {
    ...extra,
    ...headers,
  });
}

// ── request pieces ────────────────────────────────────────────────────────────────────────────

/** Where this server's SCIM resources live, for `meta.location` and `$ref`. */
function context(c: Context): ScimContext {
  const origin = env().COUNTERSIGN_PUBLIC_URL ?? new URL(c.req.url).origin;
  return { base: `${origin.replace(/\/+$/, "")}${BASE_PATH}` };
}

/** The `:id` path segment (an id that is no UUID is simply not found, by the core). */
const id = (c: Context) => c.req.param("id") ?? "";

const query = (c: Context) => new URL(c.req.url).searchParams;

/** A write's body: SCIM JSON (application/scim+json or application/json), at most 1 MiB. */
async function body(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(scim\+)?json\s*(;|$)/i.test(type.trim())) {
    throw new CountersignError("unsupported_media_type", "Send the body as Content-Type: application/scim+json.");
  }
  return parseScimJson(await readBodyBytes(c.req.raw, SCIM_LIMITS.bodyBytes));
}

const created = (resource: JsonObject) => scimJson(resource, 201, { location: String((resource.meta as { location: string }).location) });
const noContent = () => new Response(null, { status: 204, headers: { "cache-control": "no-store" } });

// ── the table ─────────────────────────────────────────────────────────────────────────────────

const api = new Hono({ strict: false }).basePath(BASE_PATH);

/** Method and path pattern of every operation: what a miss is told it may use instead. */
const operations: { method: string; pattern: RegExp }[] = [];

function operation(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, handler: (c: Context) => Response | Promise<Response>): void {
  api.on(method, path, handler);
  operations.push({ method, pattern: new RegExp(`^${BASE_PATH}${path.replace(/:[^/]+/g, "[^/]+")}/?$`) });
}

const byId = (all: JsonObject[], id: string, what: string) => {
  const found = all.find((d) => d.id === id);
  if (!found) throw new CountersignError("not_found", `${what} ${id} not found.`);
  return scimJson(found);
};

operation("GET", "/ServiceProviderConfig", (c) => scimJson(serviceProviderConfig(context(c).base)));
operation("GET", "/ResourceTypes", (c) => {
  const all = resourceTypes(context(c).base);
  return scimJson(listResponse(all, all.length, 1));
});
operation("GET", "/ResourceTypes/:id", (c) => byId(resourceTypes(context(c).base), id(c), "ResourceType"));
operation("GET", "/Schemas", (c) => {
  const all = schemaDocuments(context(c).base);
  return scimJson(listResponse(all, all.length, 1));
});
operation("GET", "/Schemas/:id", (c) => byId(schemaDocuments(context(c).base), id(c), "Schema"));

operation("GET", "/Users", async (c) => scimJson(await listUsers(query(c), context(c))));
operation("POST", "/Users", async (c) => created(await createUser(await body(c), context(c))));
operation("GET", "/Users/:id", async (c) => scimJson(await getUser(id(c), query(c), context(c))));
operation("PUT", "/Users/:id", async (c) => scimJson(await replaceUser(id(c), await body(c), context(c))));
operation("PATCH", "/Users/:id", async (c) => scimJson(await patchUser(id(c), await body(c), context(c))));
operation("DELETE", "/Users/:id", async (c) => {
  await deleteUser(id(c), context(c));
  return noContent();
});

operation("GET", "/Groups", async (c) => scimJson(await listGroups(query(c), context(c))));
operation("POST", "/Groups", async (c) => created(await createGroup(await body(c), context(c))));
operation("GET", "/Groups/:id", async (c) => scimJson(await getGroup(id(c), query(c), context(c))));
operation("PUT", "/Groups/:id", async (c) => scimJson(await replaceGroup(id(c), await body(c), context(c))));
// 204 as in Okta's guide: a large group's member list is not sent back on every membership change.
operation("PATCH", "/Groups/:id", async (c) => {
  await patchGroup(id(c), await body(c), context(c));
  return noContent();
});
operation("DELETE", "/Groups/:id", async (c) => {
  await deleteGroup(id(c), context(c));
  return noContent();
});

/** 405 with Allow when the path is an operation's under another method, else 404. */
function routeMiss(req: Request): Response {
  const { pathname } = new URL(req.url);
  const allowed = operations.filter((o) => o.pattern.test(pathname)).map((o) => o.method);
  if (allowed.length === 0) return scimError(new CountersignError("not_found", `No SCIM endpoint ${pathname}.`));
  const allow = allowed.join(", ");
  return scimError(new CountersignError("method_not_allowed", `Use ${allow} for ${pathname}.`), { allow });
}

api.notFound((c) => routeMiss(c.req.raw));
api.onError((err) => scimError(err));

export const scimApi = {
  /** Answers one request under /scim/v2: SCIM off → 404, no or wrong token → 401, before anything is read. */
  fetch(req: Request): Response | Promise<Response> {
    try {
      authenticateScim(req.headers.get("authorization"));
    } catch (err) {
      if (err instanceof CountersignError && err.code === "unauthorized") {
        log.warn({ path: new URL(req.url).pathname, method: req.method }, "SCIM request refused: missing or invalid bearer token");
      }
      return scimError(err);
    }
    return api.fetch(req);
  },
};
