// What the agent meant, byte for byte: JSON that would be silently rewritten on its way to the
// database or the reviewer is refused instead (400 with the path), never stored as something else.
//   - duplicate keys (JSON.parse keeps the last: `{"action":"vault.prod.purge",…,"action":"metrics.cpu.lookup"}`
//     would be filed and auto-approved as the lookup) — found precisely by a real JSON parser
//     (@humanwhocodes/momoa) whenever a cheap scan sees a key name twice anywhere;
//   - `__proto__` keys (a plain object copy drops them, so the hash and the page would bind to less);
//   - NUL characters and lone surrogates (PostgreSQL cannot store them; RFC 8785 refuses them);
//   - numbers that are not finite (`1e400` parses to Infinity, which JSON cannot hold);
//   - nesting deeper than LIMITS.jsonDepth and objects with more than LIMITS.jsonKeys keys.
import { parse as parseAst, type AnyNode } from "@humanwhocodes/momoa";
import { CountersignError, type ErrorIssue } from "@/lib/errors";

export const JSON_LIMITS = {
  /** Objects and arrays nested deeper than this are refused (a stack overflow elsewhere otherwise). */
  depth: 32,
  /** Keys in one object. */
  keysPerObject: 1000,
  /** Keys and elements in a whole document. */
  totalNodes: 20_000,
} as const;

const invalid = (issues: ErrorIssue[]) => new CountersignError("invalid_request", "The request body is invalid.", { issues });

const pathOf = (parts: readonly (string | number)[]) =>
  parts.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("") || "(body)";

/** Why a string cannot be stored and shown as sent, or null. */
export function textProblem(s: string): string | null {
  if (s.includes("\u0000")) return "must not contain a NUL character";
  if (!s.isWellFormed()) return "must be valid Unicode (no lone surrogates)";
  return null;
}

/**
 * Every problem of an already parsed JSON value (its keys and strings, numbers, depth and size),
 * each with its path. Empty when the value can be stored, hashed and shown exactly as sent.
 */
export function jsonValueIssues(value: unknown, at: (string | number)[] = []): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  let nodes = 0;
  const visit = (v: unknown, path: (string | number)[], depth: number): void => {
    if (issues.length >= 20) return;
    if (++nodes > JSON_LIMITS.totalNodes) {
      if (nodes === JSON_LIMITS.totalNodes + 1) issues.push({ path: pathOf(at), message: `holds more than ${JSON_LIMITS.totalNodes} values` });
      return;
    }
    if (typeof v === "string") {
      const problem = textProblem(v);
      if (problem) issues.push({ path: pathOf(path), message: problem });
      return;
    }
    if (typeof v === "number") {
      if (!Number.isFinite(v)) issues.push({ path: pathOf(path), message: "must be a finite number" });
      return;
    }
    if (v === null || typeof v !== "object") return;
    if (depth >= JSON_LIMITS.depth) {
      issues.push({ path: pathOf(path), message: `nests deeper than ${JSON_LIMITS.depth} levels` });
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, [...path, i], depth + 1));
      return;
    }
    const keys = Object.keys(v);
    if (keys.length > JSON_LIMITS.keysPerObject) {
      issues.push({ path: pathOf(path), message: `has more than ${JSON_LIMITS.keysPerObject} keys` });
      return;
    }
    for (const key of keys) {
      if (key === "__proto__") {
        issues.push({ path: pathOf([...path, key]), message: "the key __proto__ is not allowed" });
        continue;
      }
      const problem = textProblem(key);
      if (problem) {
        issues.push({ path: pathOf([...path, key]), message: `key ${problem}` });
        continue;
      }
      visit((v as Record<string, unknown>)[key], [...path, key], depth + 1);
    }
  };
  visit(value, at, 0);
  return issues;
}

// A string token is a key exactly when a colon follows it (in JSON already known to be valid).
const STRING_TOKEN = /"(?:[^"\\]|\\.)*"/g;

/** Whether any key name occurs twice anywhere in the text (cheap; duplicates need more than that). */
function repeatsAKeyName(text: string): boolean {
  const seen = new Set<string>();
  for (const m of text.matchAll(STRING_TOKEN)) {
    let i = m.index + m[0].length;
    while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")) i++;
    if (text[i] !== ":") continue;
    const name = m[0].includes("\\") ? (JSON.parse(m[0]) as string) : m[0].slice(1, -1);
    if (seen.has(name)) return true;
    seen.add(name);
  }
  return false;
}

/** The path of each key that occurs twice in one object. */
function duplicateKeyIssues(text: string): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  const walk = (node: AnyNode, path: (string | number)[]): void => {
    if (node.type === "Document") return walk(node.body, path);
    if (node.type === "Array") return node.elements.forEach((e, i) => walk(e.value, [...path, i]));
    if (node.type !== "Object") return;
    const seen = new Set<string>();
    for (const member of node.members) {
      const name = member.name.type === "String" ? member.name.value : member.name.name;
      if (seen.has(name)) issues.push({ path: pathOf([...path, name]), message: "appears twice in one object (which one was meant?)" });
      seen.add(name);
      walk(member.value, [...path, name]);
    }
  };
  walk(parseAst(text, { mode: "json" }), []);
  return issues;
}

/**
 * Parses a JSON text the strict way: malformed → `invalid_json`; a duplicate key or any value
 * `jsonValueIssues` names → `invalid_request` with every path.
 */
export function parseStrictJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CountersignError("invalid_json", "The request body is not valid JSON.");
  }
  // Depth first: the duplicate check walks a syntax tree and must never meet a 5,000-level one.
  const issues = jsonValueIssues(value);
  if (issues.length === 0 && repeatsAKeyName(text)) issues.push(...duplicateKeyIssues(text));
  if (issues.length > 0) throw invalid(issues);
  return value;
}
