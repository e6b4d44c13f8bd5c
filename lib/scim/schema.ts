// What SCIM 2.0 (RFC 7643/7644) clients may send us, validated before anything is read from or
// written to the directory: the body bytes themselves, User and Group resources, PatchOp messages
// and list queries. Unknown attributes are kept (Okta sends custom and extension attributes) but
// must fit in a jsonb column: valid UTF-8, no NUL, no lone surrogates, bounded depth.
import { z } from "zod";
import { CountersignError, issuesFromZod } from "@/lib/errors";
import { isUuid } from "@/lib/vocabulary";

export const SCIM = {
  user: "urn:ietf:params:scim:schemas:core:2.0:User",
  group: "urn:ietf:params:scim:schemas:core:2.0:Group",
  enterpriseUser: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
  listResponse: "urn:ietf:params:scim:api:messages:2.0:ListResponse",
  patchOp: "urn:ietf:params:scim:api:messages:2.0:PatchOp",
  error: "urn:ietf:params:scim:api:messages:2.0:Error",
  serviceProviderConfig: "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
  resourceType: "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
  schema: "urn:ietf:params:scim:schemas:core:2.0:Schema",
} as const;

export const SCIM_LIMITS = {
  /** A group push with thousands of members fits; anything larger is not Okta. */
  bodyBytes: 1024 * 1024,
  /** Nesting of a body's JSON (SCIM resources are three levels deep at most; extensions add one). */
  depth: 16,
  /** Largest page a list answers (advertised as filter.maxResults). */
  pageSize: 200,
  operations: 1000,
  members: 10_000,
} as const;

const invalid = (message: string, issues?: { path: string; message: string }[]) => new CountersignError("invalid_request", message, { issues });

/** Rejects what PostgreSQL's jsonb cannot hold and what no directory sends. */
function checkStorable(value: unknown, path: string, depth: number): void {
  if (depth > SCIM_LIMITS.depth) throw invalid(`The body nests deeper than ${SCIM_LIMITS.depth} levels.`);
  const checkText = (s: string, where: string) => {
    if (s.includes("\u0000") || !s.isWellFormed()) throw invalid(`${where || "The body"} contains a NUL character or a lone surrogate.`, [{ path: where, message: "not storable text" }]);
  };
  if (typeof value === "string") return checkText(value, path);
  if (Array.isArray(value)) return value.forEach((v, i) => checkStorable(v, `${path}[${i}]`, depth + 1));
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const where = path ? `${path}.${k}` : k;
      checkText(k, where);
      checkStorable(v, where, depth + 1);
    }
  }
}

/** The body of a SCIM write: strict UTF-8, JSON, storable. Anything else is 400 (`invalidSyntax`). */
export function parseScimJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CountersignError("invalid_json", "The request body is not valid UTF-8.");
  }
  if (text.trim() === "") throw new CountersignError("invalid_json", "A JSON body is required.");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CountersignError("invalid_json", "The request body is not valid JSON.");
  }
  checkStorable(value, "", 0);
  return value;
}

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** The key of `obj` that names `attr` (SCIM attribute names are case-insensitive), if any. */
export function keyOf(obj: JsonObject, attr: string): string | undefined {
  const lower = attr.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

// Attribute names as RFC 7643 spells them: a client's `Active` or `username` is stored as
// `active`, `userName`, so the same attribute is never kept twice.
const CANONICAL = new Map(
  [
    "schemas", "id", "externalId", "meta", "userName", "name", "displayName", "nickName", "profileUrl", "title", "userType",
    "preferredLanguage", "locale", "timezone", "active", "password", "emails", "phoneNumbers", "ims", "photos", "addresses",
    "groups", "entitlements", "roles", "x509Certificates", "members", "formatted", "familyName", "givenName", "middleName",
    "honorificPrefix", "honorificSuffix", "value", "display", "type", "primary", "$ref", "Operations", "op", "path",
  ].map((n) => [n.toLowerCase(), n]),
);

export const canonicalName = (attr: string): string => CANONICAL.get(attr.toLowerCase()) ?? attr;

/** A copy with known attribute names spelled canonically and nulls (RFC 7643 §2.5: unassigned) dropped, at every level. */
export function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(canonicalize);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null) continue;
    // An extension's attributes live under its schema URN; the URN itself is kept as sent.
    out[k.startsWith("urn:") ? k : canonicalName(k)] = canonicalize(v);
  }
  return out;
}

const line = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters");

const schemasOf = (urn: string) =>
  z
    .array(z.string())
    .refine((s) => s.includes(urn), `must include ${urn}`)
    .optional();

/** A User's attributes as stored (the resource minus id, meta, groups and password). */
export const userAttributes = z.looseObject({
  userName: line(256).trim().min(1, "is required"),
  active: z.boolean().optional(),
  externalId: line(256).optional(),
  displayName: line(256).optional(),
  name: z
    .looseObject({
      formatted: line(512).optional(),
      familyName: line(256).optional(),
      givenName: line(256).optional(),
      middleName: line(256).optional(),
      honorificPrefix: line(64).optional(),
      honorificSuffix: line(64).optional(),
    })
    .optional(),
  emails: z
    .array(
      z.looseObject({
        value: line(320),
        type: line(64).optional(),
        primary: z.boolean().optional(),
        display: line(320).optional(),
      }),
    )
    .max(50)
    .optional(),
});
export type UserAttributes = z.infer<typeof userAttributes>;

/** A User resource as a client sends it to POST or PUT. */
export const userResource = userAttributes.extend({
  schemas: schemasOf(SCIM.user),
  id: z.unknown().optional(),
  meta: z.unknown().optional(),
  groups: z.unknown().optional(),
  password: z.unknown().optional(),
});

const member = z.looseObject({
  value: z.string().max(64),
  display: z.string().max(512).optional(),
  type: z
    .string()
    .refine((t) => t.toLowerCase() === "user", "only users can be members")
    .optional(),
});

/** A Group's attributes as the directory keeps them (members by user id). */
export const groupAttributes = z.object({
  displayName: line(256).trim().min(1, "is required"),
  externalId: line(256).optional(),
  members: z.array(member).max(SCIM_LIMITS.members).optional(),
});
export type GroupAttributes = z.infer<typeof groupAttributes>;

/** A Group resource as a client sends it to POST or PUT. */
export const groupResource = groupAttributes.extend({
  schemas: schemasOf(SCIM.group),
  id: z.unknown().optional(),
  meta: z.unknown().optional(),
});

export const PATCH_OPS = ["add", "remove", "replace"] as const;

export const patchRequest = z.object({
  schemas: schemasOf(SCIM.patchOp),
  Operations: z
    .array(
      z.looseObject({
        // Okta writes `replace`, Entra `Replace`: RFC 7644 §3.5.2 operations are case-insensitive.
        op: z
          .string()
          .transform((op) => op.toLowerCase())
          .pipe(z.enum(PATCH_OPS, { message: `must be one of ${PATCH_OPS.join(", ")}` })),
        path: z.string().min(1).max(1024).optional(),
        value: z.unknown().optional(),
      }),
    )
    .min(1, "needs at least one operation")
    .max(SCIM_LIMITS.operations),
});
export type PatchRequest = z.infer<typeof patchRequest>;
export type PatchOperation = PatchRequest["Operations"][number];

/** Validates a (canonicalized) body against a schema: 400 `invalidValue` naming each bad field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  if (!isObject(value)) throw invalid(`The body must be a JSON object (a SCIM ${what}).`);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error.issues);
    throw invalid(`Invalid ${what}: ${issues.map((i) => `${i.path || "(body)"} ${i.message}`).join("; ")}.`, issues);
  }
  return parsed.data;
}

// ── list queries (RFC 7644 §3.4.2) ────────────────────────────────────────────────────────────

export type ListQuery = {
  filter?: string;
  /** 1-based. */
  startIndex: number;
  count: number;
  attributes?: string[];
  excludedAttributes?: string[];
};

const integerParam = (name: string, raw: string | null): number | undefined => {
  if (raw === null || raw === "") return undefined;
  if (!/^[+-]?\d{1,9}$/.test(raw.trim())) throw invalid(`${name} must be an integer.`, [{ path: name, message: "must be an integer" }]);
  return Number(raw.trim());
};

const listParam = (raw: string | null) =>
  raw === null || raw.trim() === "" ? undefined : raw.split(",").map((a) => a.trim()).filter(Boolean);

/** startIndex below 1 reads as 1, a negative count as 0 (RFC 7644 §3.4.2.4); count is capped. */
export function parseListQuery(params: URLSearchParams): ListQuery {
  const filter = params.get("filter") ?? undefined;
  if (filter !== undefined && filter.length > 1024) throw new CountersignError("invalid_filter", "The filter is longer than 1024 characters.");
  return {
    filter: filter?.trim() ? filter : undefined,
    startIndex: Math.max(1, integerParam("startIndex", params.get("startIndex")) ?? 1),
    count: Math.min(SCIM_LIMITS.pageSize, Math.max(0, integerParam("count", params.get("count")) ?? SCIM_LIMITS.pageSize)),
    attributes: listParam(params.get("attributes")),
    excludedAttributes: listParam(params.get("excludedAttributes")),
  };
}

/** A resource id from the path: our ids are UUIDs, so anything else is simply not there. */
export function parseResourceId(id: string | undefined, what: "User" | "Group"): string {
  if (id === undefined || !isUuid(id)) throw new CountersignError("not_found", `${what} ${id ?? ""} not found.`);
  return id.toLowerCase();
}
