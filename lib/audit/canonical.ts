// Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and SHA-256, the two primitives that
// make params_hash and the audit chain reproducible by any third party.
import { hash } from "node:crypto";
import canonicalize from "canonicalize";

// RFC 8785 writes strings and numbers exactly as JSON.stringify does, and object members sorted by
// key. So: copy the value with every object's keys inserted in sorted order, then let one native
// JSON.stringify write it. What that cannot reproduce byte for byte is handed to the reference
// implementation (`canonicalize`) whole: keys that JavaScript enumerates ahead of insertion order (array
// indexes such as "10"), "__proto__", non-plain objects (toJSON), non-finite numbers, bigints,
// functions, and lone surrogates (which JSON.stringify escapes and RFC 8785 refuses).

class NotPlainJson extends Error {}
const NOT_PLAIN = new NotPlainJson();

function sortedCopy(value: unknown): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw NOT_PLAIN;
      return value;
    case "undefined":
      return value;
    case "object": {
      if (value === null) return null;
      if (Array.isArray(value)) {
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) out[i] = sortedCopy(value[i]);
        return out;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const c = key.charCodeAt(0);
        // Array-index keys start with a digit; "__proto__" would set the prototype, not a member.
        if ((c >= 48 && c <= 57) || key === "__proto__") throw NOT_PLAIN;
        out[key] = sortedCopy(obj[key]);
      }
      return out;
    }
    default:
      throw NOT_PLAIN;
  }
}

/** What JSON.stringify writes for a lone surrogate (or a text that looks like it): let the reference decide. */
const ESCAPED_SURROGATE = /\\ud[89a-f]/i;

/** RFC 8785 canonical JSON: the bytes of the reference (`canonicalize`), about three times faster on audit events. */
export function canonicalJson(value: unknown): string {
  let out: string | undefined;
  try {
    out = JSON.stringify(sortedCopy(value));
  } catch (err) {
    if (err !== NOT_PLAIN) throw err;
    return reference(value);
  }
  return out === undefined || ESCAPED_SURROGATE.test(out) ? reference(value) : out;
}

function reference(value: unknown): string {
  const out = canonicalize(value);
  if (out === undefined) throw new TypeError("value cannot be canonicalized");
  return out;
}

export function sha256Hex(text: string): string {
  return hash("sha256", text, "hex");
}
