// What the directory looks like on the wire: User and Group resources, list responses, the
// `attributes` / `excludedAttributes` projection, and the discovery documents
// (ServiceProviderConfig, ResourceTypes, Schemas) that describe exactly what lib/scim accepts.
import type { ScimGroupRow, ScimUserRow } from "@/db/schema";
import { SCIM, SCIM_LIMITS, type JsonObject, type ListQuery } from "./schema";

/** `base` is the SCIM base URL (…/scim/v2), for `location` and `$ref`. */
export function userView(row: ScimUserRow, groups: readonly { id: string; displayName: string }[], base: string): JsonObject {
  const extensions = Object.keys(row.resource).filter((k) => k.toLowerCase().startsWith("urn:"));
  return {
    schemas: [SCIM.user, ...extensions],
    id: row.id,
    ...row.resource,
    userName: row.userName,
    active: row.active,
    groups: groups.map((g) => ({ value: g.id, display: g.displayName, $ref: `${base}/Groups/${g.id}`, type: "direct" })),
    meta: { resourceType: "User", created: row.createdAt.toISOString(), lastModified: row.updatedAt.toISOString(), location: `${base}/Users/${row.id}` },
  };
}

/** `members` undefined: left out (the client excluded them). */
export function groupView(row: ScimGroupRow, members: readonly { id: string; userName: string }[] | undefined, base: string): JsonObject {
  return {
    schemas: [SCIM.group],
    id: row.id,
    displayName: row.displayName,
    ...(row.externalId ? { externalId: row.externalId } : {}),
    ...(members ? { members: members.map((m) => ({ value: m.id, display: m.userName, $ref: `${base}/Users/${m.id}`, type: "User" })) } : {}),
    meta: { resourceType: "Group", created: row.createdAt.toISOString(), lastModified: row.updatedAt.toISOString(), location: `${base}/Groups/${row.id}` },
  };
}

const topLevel = (attr: string) => {
  // `urn:…:User:name.givenName` → `name`; an extension's own attributes → its URN.
  const core = [SCIM.user, SCIM.group].find((u) => attr.toLowerCase().startsWith(`${u.toLowerCase()}:`));
  const rest = core ? attr.slice(core.length + 1) : attr;
  return (rest.toLowerCase().startsWith("urn:") ? rest.replace(/:[^:]*$/, "") : rest.split(".")[0]!).toLowerCase();
};

/** Whether the client's `attributes` / `excludedAttributes` leave this top-level attribute in. */
export function wants(query: Pick<ListQuery, "attributes" | "excludedAttributes">, attr: string): boolean {
  const a = attr.toLowerCase();
  if (a === "id" || a === "schemas") return true;
  if (query.attributes) return query.attributes.some((x) => topLevel(x) === a || x.toLowerCase() === a);
  return !(query.excludedAttributes ?? []).some((x) => topLevel(x) === a && !x.includes("."));
}

/** RFC 7644 §3.4.2.5: top-level attributes only (a sub-attribute keeps or drops its whole parent). */
export function project(resource: JsonObject, query: Pick<ListQuery, "attributes" | "excludedAttributes">): JsonObject {
  if (!query.attributes && !query.excludedAttributes) return resource;
  return Object.fromEntries(Object.entries(resource).filter(([k]) => wants(query, k)));
}

export function listResponse(resources: JsonObject[], total: number, startIndex: number): JsonObject {
  return { schemas: [SCIM.listResponse], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

// ── discovery (RFC 7644 §4, RFC 7643 §5–7) ────────────────────────────────────────────────────

export function serviceProviderConfig(base: string): JsonObject {
  return {
    schemas: [SCIM.serviceProviderConfig],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: SCIM_LIMITS.pageSize },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "Bearer token",
        description: "Authorization: Bearer <COUNTERSIGN_SCIM_TOKEN>",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${base}/ServiceProviderConfig` },
  };
}

const RESOURCE_TYPES = [
  { id: "User", name: "User", endpoint: "/Users", description: "A person Okta assigned to Countersign", schema: SCIM.user, schemaExtensions: [{ schema: SCIM.enterpriseUser, required: false }] },
  { id: "Group", name: "Group", endpoint: "/Groups", description: "An Okta group pushed to Countersign; the policy file names groups", schema: SCIM.group },
];

export function resourceTypes(base: string): JsonObject[] {
  return RESOURCE_TYPES.map((t) => ({ schemas: [SCIM.resourceType], ...t, meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/${t.id}` } }));
}

type Attr = {
  name: string;
  type: "string" | "boolean" | "complex" | "reference" | "dateTime";
  multiValued?: boolean;
  required?: boolean;
  mutability?: "readOnly" | "readWrite" | "immutable" | "writeOnly";
  returned?: "always" | "never" | "default";
  uniqueness?: "none" | "server";
  caseExact?: boolean;
  description: string;
  subAttributes?: Attr[];
  referenceTypes?: string[];
};

const attr = (a: Attr): JsonObject => ({
  name: a.name,
  type: a.type,
  multiValued: a.multiValued ?? false,
  description: a.description,
  required: a.required ?? false,
  caseExact: a.caseExact ?? false,
  mutability: a.mutability ?? "readWrite",
  returned: a.returned ?? "default",
  uniqueness: a.uniqueness ?? "none",
  ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : {}),
  ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attr) } : {}),
});

const text = (name: string, description: string, extra: Partial<Attr> = {}): Attr => ({ name, type: "string", description, ...extra });

const SCHEMAS = [
  {
    id: SCIM.user,
    name: "User",
    description: "A person Okta provisions. Its userName is matched, case-insensitively, to the login of the person's Okta sign-in.",
    attributes: [
      text("userName", "Unique identifier; matched to the Okta login (preferred_username)", { required: true, uniqueness: "server", returned: "always" }),
      {
        name: "name",
        type: "complex",
        description: "The person's name",
        subAttributes: ["formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"].map((n) => text(n, n)),
      },
      text("displayName", "Name shown for the person"),
      {
        name: "emails",
        type: "complex",
        multiValued: true,
        description: "E-mail addresses",
        subAttributes: [text("value", "The address"), text("type", "work, home, other"), text("display", "Display value"), { name: "primary", type: "boolean", description: "The primary address" }],
      },
      { name: "active", type: "boolean", description: "false deactivates: the person's console sessions end and they can no longer decide" },
      text("externalId", "The directory's own id for the user", { caseExact: true }),
      {
        name: "groups",
        type: "complex",
        multiValued: true,
        mutability: "readOnly",
        description: "Groups the user belongs to (change them on the Group)",
        subAttributes: [text("value", "Group id", { mutability: "readOnly" }), text("display", "Group displayName", { mutability: "readOnly" }), { name: "$ref", type: "reference", referenceTypes: ["Group"], mutability: "readOnly", description: "Group URI" }],
      },
    ] satisfies Attr[],
  },
  {
    id: SCIM.group,
    name: "Group",
    description: "An Okta group. Its displayName is what the policy file's roles and approver_groups name.",
    attributes: [
      text("displayName", "Group name, as the policy file names it", { required: true, uniqueness: "server", caseExact: true, returned: "always" }),
      text("externalId", "The directory's own id for the group", { caseExact: true }),
      {
        name: "members",
        type: "complex",
        multiValued: true,
        description: "Users in the group",
        subAttributes: [
          text("value", "User id", { mutability: "immutable" }),
          text("display", "The user's userName", { mutability: "readOnly" }),
          { name: "$ref", type: "reference", referenceTypes: ["User"], mutability: "immutable", description: "User URI" },
          text("type", "User (groups do not nest)", { mutability: "immutable" }),
        ],
      },
    ] satisfies Attr[],
  },
];

export function schemaDocuments(base: string): JsonObject[] {
  return SCHEMAS.map((s) => ({
    schemas: [SCIM.schema],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes.map(attr),
    meta: { resourceType: "Schema", location: `${base}/Schemas/${s.id}` },
  }));
}
