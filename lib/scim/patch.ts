// RFC 7644 §3.5.2 PATCH, applied to a resource held as plain JSON: a pure function, so the User
// and the Group cores share one reading of add / replace / remove, and a bad operation refuses
// the whole message before anything is written. Okta's forms are covered —
// `{"op":"replace","value":{"active":false}}`, `{"op":"add","path":"members","value":[…]}`,
// `{"op":"remove","path":"members[value eq \"…\"]"}` — and so are Entra's (`Replace`, paths such
// as `emails[type eq "work"].value`, `remove` of `members` with a value list).
import { CountersignError } from "@/lib/errors";
import { matches, parsePatchPath, type PatchPath } from "./filter";
import { canonicalName, canonicalize, isObject, keyOf, parseWith, patchRequest, SCIM, type JsonObject, type PatchOperation } from "./schema";

export type PatchRules = {
  /** Attributes a client never sets (RFC 7643 `readOnly`): a path naming one is refused (`mutability`). */
  readOnly: readonly string[];
  /** Attributes accepted and never kept (a User's password). */
  discarded: readonly string[];
};

/** Resource bookkeeping a client echoes back (Okta sends the group's `id` when renaming it): ignored in a value, refused as a path. */
const SERVER_OWNED = ["id", "meta", "schemas"];

const mutability = (attr: string) => new CountersignError("mutability", `${attr} is read-only; it cannot be changed.`);

/** A PatchOp message: its keys read case-insensitively, each operation's value left as sent. */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  const top = isObject(body) ? Object.fromEntries(Object.entries(body).map(([k, v]) => [canonicalName(k), v])) : body;
  if (isObject(top) && Array.isArray(top.Operations)) {
    top.Operations = top.Operations.map((op) => (isObject(op) ? Object.fromEntries(Object.entries(op).map(([k, v]) => [canonicalName(k), v])) : op));
  }
  return parseWith(patchRequest, top, "PatchOp message").Operations;
}

/** The resource after every operation, in order; the input is not modified. */
export function applyPatch(resource: JsonObject, operations: readonly PatchOperation[], rules: PatchRules): JsonObject {
  const doc = structuredClone(resource);
  operations.forEach((operation, i) => {
    try {
      applyOperation(doc, operation, rules);
    } catch (err) {
      if (err instanceof CountersignError) throw new CountersignError(err.code, `Operations[${i}]: ${err.message}`, { issues: err.issues });
      throw err;
    }
  });
  return doc;
}

function applyOperation(doc: JsonObject, { op, path, value }: PatchOperation, rules: PatchRules): void {
  if (path !== undefined) return applyAt(doc, parsePatchPath(path), op, value, rules);
  if (op === "remove") throw new CountersignError("no_target", "A remove operation needs a path.");
  if (!isObject(value)) throw new CountersignError("invalid_request", `An ${op} operation without a path needs an object of attributes as its value.`);
  for (const [key, v] of Object.entries(value)) {
    if (SERVER_OWNED.includes(canonicalName(key))) continue;
    if (isObject(v) && isSchemaUrn(doc, key)) {
      // An extension schema's attributes, under its URN (or the core schema's, under its own).
      for (const [attr, sub] of Object.entries(v)) applyAt(doc, parsePatchPath(`${key}:${attr}`), op, sub, rules);
      continue;
    }
    applyAt(doc, parsePatchPath(key), op, v, rules);
  }
}

/** Whether a no-path value's key is a schema's URN (its value holds that schema's attributes) rather than `urn:…:attribute`. */
function isSchemaUrn(doc: JsonObject, key: string): boolean {
  if (!key.toLowerCase().startsWith("urn:")) return false;
  const known = [SCIM.user, SCIM.group, SCIM.enterpriseUser].some((u) => u.toLowerCase() === key.toLowerCase());
  return known || keyOf(doc, key) !== undefined || /:(user|group)$/i.test(key);
}

function applyAt(doc: JsonObject, path: PatchPath, op: PatchOperation["op"], rawValue: unknown, rules: PatchRules): void {
  if (!path.urn) {
    if (SERVER_OWNED.includes(path.attr) || rules.readOnly.some((a) => a.toLowerCase() === path.attr.toLowerCase())) throw mutability(path.attr);
    if (rules.discarded.some((a) => a.toLowerCase() === path.attr.toLowerCase())) return;
  }
  if (op !== "remove" && rawValue === undefined) throw new CountersignError("invalid_request", `An ${op} operation needs a value.`);
  const value = rawValue === undefined ? undefined : canonicalize(rawValue);
  // RFC 7643 §2.5: assigning null unassigns.
  const unassign = op === "remove" || value === null;

  let container = doc;
  if (path.urn) {
    const urnKey = keyOf(doc, path.urn) ?? path.urn;
    if (!isObject(doc[urnKey])) {
      if (unassign) return;
      doc[urnKey] = {};
    }
    container = doc[urnKey] as JsonObject;
  }
  const key = keyOf(container, path.attr) ?? path.attr;
  const current = container[key];

  if (path.filter) {
    if (current !== undefined && !Array.isArray(current)) throw new CountersignError("invalid_path", `${path.attr} is not multi-valued; it takes no value filter.`);
    const filter = path.filter;
    const list = [...((current as unknown[] | undefined) ?? [])];
    let hits = list.filter((e) => matches(e, filter)) as JsonObject[];
    if (unassign) {
      if (path.sub) hits.forEach((e) => delete e[keyOf(e, path.sub!) ?? path.sub!]);
      else setOrDelete(container, key, list.filter((e) => !hits.includes(e as JsonObject)));
      return;
    }
    if (hits.length === 0) {
      // Nothing selected yet (no work e-mail): the filter's equality describes the value to add.
      const created: JsonObject = { [filter.attr]: filter.value };
      list.push(created);
      hits = [created];
    }
    for (const element of hits) {
      if (path.sub) {
        element[keyOf(element, path.sub) ?? path.sub] = value;
      } else {
        if (!isObject(value)) throw new CountersignError("invalid_request", `The value for ${path.attr}[…] must be an object.`);
        if (op === "replace") for (const k of Object.keys(element)) delete element[k];
        Object.assign(element, value);
      }
    }
    container[key] = list;
    return;
  }

  if (path.sub) {
    if (Array.isArray(current)) {
      throw new CountersignError("invalid_path", `${path.attr} is multi-valued: select values with a filter, such as ${path.attr}[type eq "work"].${path.sub}.`);
    }
    if (unassign) {
      if (isObject(current)) delete current[keyOf(current, path.sub) ?? path.sub];
      return;
    }
    const object = isObject(current) ? current : {};
    object[keyOf(object, path.sub) ?? path.sub] = value;
    container[key] = object;
    return;
  }

  if (unassign) {
    if (op === "remove" && Array.isArray(current) && Array.isArray(value)) {
      // Entra's form: remove these values (by their `value`) rather than the whole attribute.
      const gone = value.flatMap((v) => (isObject(v) && typeof v.value === "string" ? [v.value] : []));
      setOrDelete(container, key, current.filter((e) => !gone.some((g) => matches(e, { attr: "value", value: g }))));
      return;
    }
    delete container[key];
    return;
  }
  if (op === "add" && Array.isArray(current)) container[key] = [...current, ...(Array.isArray(value) ? value : [value])];
  // A complex attribute's sub-attributes are merged, by add and by replace alike (RFC 7644 §3.5.2.1, §3.5.2.3).
  else if (isObject(current) && isObject(value)) container[key] = { ...current, ...value };
  else container[key] = value;
}

function setOrDelete(container: JsonObject, key: string, list: unknown[]): void {
  if (list.length === 0) delete container[key];
  else container[key] = list;
}
