// The SCIM filter and PATCH path grammar we accept (RFC 7644 §3.4.2.2 and §3.5.2), the subset
// directories use: one `attribute eq value` comparison — `userName eq "jo@acme.test"`,
// `displayName eq "security-team"` — and paths such as `active`, `name.givenName`,
// `members[value eq "…"]` or `emails[type eq "work"].value`. Anything else is refused with a
// message saying what is supported, never guessed at.
import { CountersignError } from "@/lib/errors";
import { canonicalName, SCIM } from "./schema";

export type FilterValue = string | number | boolean | null;

/** `attr eq value`, the attribute relative to the resource (`userName`, `emails.value`). */
export type Comparison = { attr: string; sub?: string; value: FilterValue };

/** Where a PATCH operation applies: an attribute, optionally a value filter, optionally a sub-attribute. */
export type PatchPath = {
  /** An extension schema's URN: the attribute lives in that schema's object. */
  urn?: string;
  attr: string;
  filter?: Comparison;
  sub?: string;
};

const NAME = String.raw`[A-Za-z][\w$-]*`;
// A schema URN prefix: `urn:…:User:` (the last colon separates it from the attribute).
const URN = String.raw`urn:[^\s\[\]"]+`;
const VALUE = String.raw`"(?:[^"\\]|\\.)*"|true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?`;
const ATTR_PATH = new RegExp(String.raw`^(?:(${URN}):)?(${NAME})(?:\.(${NAME}))?$`);
const COMPARISON = new RegExp(String.raw`^\s*(\S+)\s+(\S+)\s+(${VALUE})\s*$`, "i");
const OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"];
const CORE = [SCIM.user, SCIM.group].map((u) => u.toLowerCase());

const badFilter = (message: string) => new CountersignError("invalid_filter", message);
const badPath = (message: string) => new CountersignError("invalid_path", message);

/** Splits `urn:…:attr.sub`; a core schema's URN is dropped (its attributes are the resource's own). */
export function parseAttrPath(text: string): { urn?: string; attr: string; sub?: string } | undefined {
  const m = ATTR_PATH.exec(text.trim());
  if (!m) return undefined;
  const urn = m[1] && !CORE.includes(m[1].toLowerCase()) ? m[1] : undefined;
  return { ...(urn ? { urn } : {}), attr: canonicalName(m[2]!), ...(m[3] ? { sub: canonicalName(m[3]) } : {}) };
}

/** One `attribute eq value` comparison (attribute names are case-insensitive, so is `eq`). */
export function parseFilter(text: string): Comparison {
  const unquoted = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  if (/\s(and|or)\s|^\s*not\b|[()[\]]/i.test(unquoted)) {
    throw badFilter(`Unsupported filter ${JSON.stringify(text)}: only one comparison, attribute eq "value", is supported.`);
  }
  const m = COMPARISON.exec(text);
  if (!m) {
    const op = text.trim().split(/\s+/)[1]?.toLowerCase();
    if (op === "pr") throw badFilter(`Unsupported filter ${JSON.stringify(text)}: only the eq operator is supported.`);
    throw badFilter(`Malformed filter ${JSON.stringify(text)}: expected attribute eq "value".`);
  }
  const [, attrText, op, valueText] = m;
  const path = parseAttrPath(attrText!);
  if (!path || path.urn) throw badFilter(`Unsupported filter attribute ${JSON.stringify(attrText)}.`);
  if (op!.toLowerCase() !== "eq") {
    throw badFilter(
      OPERATORS.includes(op!.toLowerCase())
        ? `Unsupported filter operator ${op}: only eq is supported.`
        : `Malformed filter ${JSON.stringify(text)}: ${JSON.stringify(op)} is not an operator.`,
    );
  }
  let value: FilterValue;
  try {
    value = JSON.parse(valueText!) as FilterValue;
  } catch {
    throw badFilter(`Malformed value in filter ${JSON.stringify(text)}.`);
  }
  // The value is compared in SQL: text PostgreSQL cannot hold is no value anything could equal.
  if (typeof value === "string" && (value.includes("\u0000") || !value.isWellFormed())) {
    throw badFilter(`Unsupported value in filter ${JSON.stringify(text)}: it contains a NUL character or a lone surrogate.`);
  }
  return { attr: path.attr, ...(path.sub ? { sub: path.sub } : {}), value };
}

/** A PATCH operation's path: `attr`, `attr.sub`, `attr[sub eq "v"]`, `attr[sub eq "v"].sub`, any of them behind a schema URN. */
export function parsePatchPath(text: string): PatchPath {
  const trimmed = text.trim();
  const bracket = /^([^[\]]+)\[(.*)\](?:\.([A-Za-z][\w$-]*))?$/.exec(trimmed);
  if (!bracket) {
    const path = parseAttrPath(trimmed);
    if (!path) throw badPath(`Malformed path ${JSON.stringify(text)}.`);
    return path;
  }
  const [, attrText, filterText, subText] = bracket;
  const path = parseAttrPath(attrText!);
  if (!path || path.sub) throw badPath(`Malformed path ${JSON.stringify(text)}.`);
  let filter: Comparison;
  try {
    filter = parseFilter(filterText!);
  } catch (err) {
    throw badPath(`Unsupported value filter in path ${JSON.stringify(text)}: ${(err as Error).message}`);
  }
  if (filter.sub) throw badPath(`Unsupported value filter in path ${JSON.stringify(text)}: compare a sub-attribute, such as value.`);
  return { ...path, filter, ...(subText ? { sub: canonicalName(subText) } : {}) };
}

/** Whether a multi-valued attribute's element matches `sub eq value` (strings compare case-insensitively). */
export function matches(element: unknown, filter: Comparison): boolean {
  if (typeof element !== "object" || element === null || Array.isArray(element)) return false;
  const key = Object.keys(element).find((k) => k.toLowerCase() === filter.attr.toLowerCase());
  const actual = key === undefined ? null : (element as Record<string, unknown>)[key];
  if (typeof actual === "string" && typeof filter.value === "string") return actual.toLowerCase() === filter.value.toLowerCase();
  return actual === filter.value;
}
