// Glob matching for policy rules: dotted action globs and resource globs, both compiled by
// picomatch so that the policy file means exactly what picomatch's documented syntax says.
import picomatch from "picomatch";

/** A dotted action name: `iam.policy.update`. Segments are letters, digits, `_` and `-`. */
const ACTION_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/**
 * One segment of an action glob: `**` on its own, or literal characters mixed with single `*`
 * wildcards and `{a,b}` alternatives. `**` glued to other text is rejected because picomatch would
 * quietly read it as a single `*`, which is never what the author meant.
 */
const ACTION_GLOB_SEGMENT = /^(?:\*\*|(?:[A-Za-z0-9_-]|\*(?!\*)|\{[A-Za-z0-9_-]+(?:,[A-Za-z0-9_-]+)+\})+)$/;

// `dot: true` so resources such as `s3://bucket/.config` are not silently excluded by `**`.
const RESOURCE_OPTIONS = { dot: true } as const;

export function isValidActionName(action: string): boolean {
  return ACTION_NAME.test(action);
}

/** Why an action glob is unusable, or undefined when it is fine. */
export function actionGlobProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return "action glob must not be empty";
  for (const segment of pattern.split(".")) {
    if (segment.length === 0) return `action glob "${pattern}" has an empty segment (check for ".." or a dot at either end)`;
    if (!ACTION_GLOB_SEGMENT.test(segment)) {
      return (
        `action glob "${pattern}" has an invalid segment "${segment}"; ` +
        `use letters, digits, "_", "-", "*" (one segment), "**" (any number of segments) or {a,b}`
      );
    }
  }
  return undefined;
}

/** Why a resource glob is unusable, or undefined when it is fine. */
export function resourceGlobProblem(pattern: string): string | undefined {
  if (pattern.trim().length === 0) return "resource glob must not be empty";
  try {
    picomatch.makeRe(pattern, RESOURCE_OPTIONS);
  } catch (error) {
    return `resource glob "${pattern}" is not valid: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

// Compiled matchers are memoised: the policy has a handful of patterns and they are evaluated on
// every request, so compiling once per pattern keeps evaluation cheap without any global state
// that could change results.
const actionMatchers = new Map<string, (input: string) => boolean>();
const resourceMatchers = new Map<string, (input: string) => boolean>();

/**
 * Dotted action matching: dots become path separators so picomatch's `*` (one segment) and `**`
 * (any number of segments, including none) carry over unchanged. Names that are not well-formed
 * dotted names never match, so a malformed action falls through to the implicit deny.
 */
export function matchesAction(pattern: string, action: string): boolean {
  if (!isValidActionName(action)) return false;
  let matcher = actionMatchers.get(pattern);
  if (!matcher) {
    matcher = picomatch(pattern.replaceAll(".", "/"));
    actionMatchers.set(pattern, matcher);
  }
  return matcher(action.replaceAll(".", "/"));
}

/** Resource matching with plain picomatch semantics; `**` alone matches any resource, even "". */
export function matchesResource(pattern: string, resource: string): boolean {
  if (pattern === "**") return true;
  let matcher = resourceMatchers.get(pattern);
  if (!matcher) {
    matcher = picomatch(pattern, RESOURCE_OPTIONS);
    resourceMatchers.set(pattern, matcher);
  }
  return matcher(resource);
}
