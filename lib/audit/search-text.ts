// What the audit timeline's free-text filter searches, written with each event (not hashed: an aid
// to finding events, never evidence). Two parts, because a trigram index pays per distinct trigram
// and identifiers are where trigrams come from without being words anyone types part of:
//
// - `searchText`: the words of the event, lower-cased: its type, actor, action, environment, the
//   actor's display name, and every string, number and boolean in its payload (values only, in
//   order; not the keys or the JSON punctuation), with identifiers cut out. Trigram-indexed, so
//   any substring of it is found.
// - `searchIds`: the identifiers cut out of it — UUIDs and hex runs of 32 or more (digests,
//   params hashes, commit SHAs) — lower-cased, once each. Indexed as an array, so a whole id is
//   found wherever in the event it appears.
//
// Measured (README, Performance): a typical request.created has 381 trigrams over its whole JSON
// text and 139 over these words; sealing 20,000 such events took 7.3 s with the old index and
// 2.4 s with this one (1.5 s with no free-text index at all).

const IDENTIFIER = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32,}/g;
const WHOLE_IDENTIFIER = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32,})$/;

export type SearchFields = { searchText: string; searchIds: string[] };

type Searchable = {
  type: string;
  actorId: string;
  actor: { display?: unknown };
  action?: string | null;
  environment?: string | null;
  payload?: unknown;
};

/** The term as a whole identifier (lower-cased, trimmed), or undefined when it is anything else. */
export function wholeIdentifier(term: string): string | undefined {
  const id = term.trim().toLowerCase();
  return WHOLE_IDENTIFIER.test(id) ? id : undefined;
}

export function searchFieldsOf(event: Searchable): SearchFields {
  const words: string[] = [];
  const ids = new Set<string>();
  const add = (value: string) => {
    const lower = value.toLowerCase();
    const rest = lower.replace(IDENTIFIER, (id) => {
      ids.add(id);
      return " ";
    });
    if (rest.trim() !== "") words.push(rest);
  };
  const walk = (value: unknown) => {
    if (typeof value === "string") add(value);
    else if (typeof value === "number" || typeof value === "boolean") words.push(String(value));
    else if (Array.isArray(value)) for (const v of value) walk(v);
    else if (value !== null && typeof value === "object") for (const v of Object.values(value)) walk(v);
  };
  add(event.type);
  add(event.actorId);
  if (event.action) add(event.action);
  if (event.environment) add(event.environment);
  if (typeof event.actor.display === "string") add(event.actor.display);
  walk(event.payload);
  return { searchText: words.join(" "), searchIds: [...ids] };
}
