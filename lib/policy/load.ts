// Reading the policy file: YAML text -> validated `Policy`, with every problem pinned to the line
// and column an editor can jump to; and the one active policy of this process.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import nodePath from "node:path";
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from "yaml";
import type { z } from "zod";
import { env } from "@/lib/config/env";
import { PolicyFileSchema, policyErrorMap } from "./schema";
import type { Policy } from "./types";

export type PolicyProblem = { line?: number; column?: number; path: string; message: string };

/** `policy.yaml:14:5 rules[2].approvers[0]: unknown approver group "secuirty"` */
export function formatPolicyProblem(source: string, problem: PolicyProblem): string {
  const where = problem.line !== undefined ? `${source}:${problem.line}:${problem.column ?? 1}` : `${source}:`;
  return `${where} ${problem.path ? `${problem.path}: ` : ""}${problem.message}`;
}

export class PolicyError extends Error {
  readonly source: string;
  readonly problems: PolicyProblem[];

  constructor(source: string, problems: PolicyProblem[]) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super([`Invalid policy file ${source} (${count}):`, ...problems.map((p) => formatPolicyProblem(source, p))].join("\n"));
    this.name = "PolicyError";
    this.source = source;
    this.problems = problems;
  }
}

/** Parse and validate policy text. `source` names the file in messages. Throws `PolicyError`. */
export function parsePolicy(text: string, source: string): Policy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  if (doc.errors.length > 0) {
    throw new PolicyError(
      source,
      sortProblems(doc.errors.map((e) => ({ ...at(e.pos[0]), path: "", message: `YAML syntax error: ${e.message}` }))),
    );
  }

  const aliasProblems = unresolvedAliases(doc).map(({ offset, name }) => ({
    ...at(offset),
    path: "",
    message:
      `"*${name}" is read as a YAML alias, and no anchor "&${name}" exists; ` +
      `quote values that start with "*", such as "*.read"`,
  }));
  if (aliasProblems.length > 0) throw new PolicyError(source, aliasProblems);

  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw new PolicyError(source, [
      { line: 1, column: 1, path: "", message: "the policy file is empty; expected version, roles, approver_groups and rules" },
    ]);
  }

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // Only alias abuse gets here (e.g. "Excessive alias count"); there is no better place to point.
    const message = error instanceof Error ? error.message : String(error);
    throw new PolicyError(source, [{ line: 1, column: 1, path: "", message }]);
  }
  const result = PolicyFileSchema.safeParse(data, { error: policyErrorMap });
  if (!result.success) {
    throw new PolicyError(source, sortProblems(problemsFromIssues(result.error.issues, doc, at)));
  }
  return deepFreeze({ ...result.data, hash: createHash("sha256").update(text, "utf8").digest("hex"), source });
}

export async function loadPolicyFile(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
    throw new PolicyError(path, [
      { path: "", message: `cannot read the policy file (${reason}); set COUNTERSIGN_POLICY to its path` },
    ]);
  }
  return parsePolicy(text, path);
}

// ---------------------------------------------------------------------------------------------
// The active policy. Loaded once per process and kept on globalThis so Next's dev-mode module
// reloads do not re-read it under a request that is already being decided.

const ACTIVE = Symbol.for("countersign.policy.active");
type ActiveHolder = { [ACTIVE]?: Promise<Policy> };

/** The policy named by COUNTERSIGN_POLICY (default `./policy.yaml`, relative to the working directory). */
export function getActivePolicy(): Promise<Policy> {
  const holder = globalThis as ActiveHolder;
  const cached = holder[ACTIVE];
  if (cached) return cached;

  const absolute = nodePath.resolve(/*turbopackIgnore: true*/ process.cwd(), env().COUNTERSIGN_POLICY);
  const relative = nodePath.relative(process.cwd(), absolute);
  // Messages name the file the way the operator would type it.
  const path = relative && !relative.startsWith("..") && !nodePath.isAbsolute(relative) ? relative : absolute;
  const loading = loadPolicyFile(path);
  holder[ACTIVE] = loading;
  // A broken file is reported to every caller of this attempt, then forgotten so that the next
  // call (after the file is fixed) tries again instead of failing forever.
  loading.catch(() => {
    if (holder[ACTIVE] === loading) delete holder[ACTIVE];
  });
  return loading;
}

/** Replace (or with `null`, forget) the active policy. */
export function setActivePolicyForTests(policy: Policy | null): void {
  const holder = globalThis as ActiveHolder;
  if (policy === null) delete holder[ACTIVE];
  else holder[ACTIVE] = Promise.resolve(policy);
}

// ---------------------------------------------------------------------------------------------
// Mapping zod issue paths back to YAML positions.

type Position = { line?: number; column?: number };

function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  doc: Document,
  at: (offset: number | undefined) => Position,
): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      // One problem per key, each at the key itself, so an editor lands on the typo.
      for (const key of issue.keys) {
        const found = locate(doc, [...issue.path, key], true);
        problems.push({ ...at(found.offset), path: formatPath(found.path), message: `unknown key "${key}"` });
      }
    } else {
      const found = locate(doc, issue.path, false);
      problems.push({ ...at(found.offset), path: formatPath(found.path), message: issue.message });
    }
  }
  return problems;
}

/**
 * Walks `path` through the YAML tree as far as it exists. Returns the offset of the deepest node
 * reached (so a missing key is reported at its parent mapping), and the path to report: cut at a
 * scalar when the schema looked inside one (an environment written as a single name is validated
 * as a one-item list).
 */
function locate(doc: Document, path: readonly PropertyKey[], pointAtKey: boolean): { offset?: number; path: PropertyKey[] } {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  let reached = 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      const isLast = reached === path.length - 1;
      const value = pair.value;
      // Scalars are reported where the value is; collections and empty values at their key,
      // since a block list's first item may be lines below the key that is wrong.
      const valueIsReportable = isScalar(value) && value.value !== null && rangeStart(value) !== undefined;
      offset = (isLast && pointAtKey) || !valueIsReportable ? rangeStart(pair.key) : rangeStart(value);
      node = value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
    reached += 1;
  }
  const cutAtScalar = reached < path.length && isScalar(node);
  return { offset, path: cutAtScalar ? path.slice(0, reached) : [...path] };
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

/** `rules[2].approvers[0]`, `approver_groups["Security Team"]` */
function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(String(segment))) out += out ? `.${String(segment)}` : String(segment);
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** `action: *.read` parses as an alias; say so instead of letting toJS throw a ReferenceError. */
function unresolvedAliases(doc: Document): { offset?: number; name: string }[] {
  const found: { offset?: number; name: string }[] = [];
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) === undefined) found.push({ offset: alias.range?.[0], name: alias.source });
    },
  });
  return found;
}

function sortProblems(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const key = `${p.line}:${p.column}:${p.path}:${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
