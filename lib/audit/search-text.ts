// What the audit timeline's free-text filter searches, written with each event (not hashed: an aid
// to finding events, never evidence). Two parts, because a trigram index pays per distinct trigram
// and identifiers are where trigrams come from without being words anyone types part of:
//
// - `searchText`: the event's words (lower-cased by the database as it stores them): its type,
//   actor, action, environment, the actor's display name, and every string, number and boolean
//   in its payload (values only, in order; not the keys or the JSON punctuation), with
//   identifiers cut out. Trigram-indexed, so any substring of it is found.
// - `searchIds`: the identifiers cut out of it — UUIDs and hex runs of 32 to 128 digits (digests,
//   params hashes, commit SHAs) — lower-cased, once each, at most MAX_SEARCH_IDS. Indexed as an
//   array, so a whole id is found wherever in the event it appears.
//
// Measured (README, Performance): a typical request.created has 381 trigrams over its whole JSON
// text and 139 over these words; sealing 20,000 such events took 7.3 s with the old index and
// 2.4 s with this one (1.5 s with no free-text index at all).

// Case-insensitive, and bounded: a hex run longer than 128 digits is text (trigrams), not one
// array element — a GIN entry has a size limit, and an entry over it would fail the seal, which
// inserts the sealed row's index entries (measured: 3,200 hex digits in an intent stopped the chain).
const ID = String.raw`(?<![0-9a-f])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32,128})(?![0-9a-f])`;
const IDENTIFIER = new RegExp(ID, "gi");
/** Identifiers kept apart per event; any beyond stay in the text. */
export const MAX_SEARCH_IDS = 256;

export type SearchFields = { searchText: string; searchIds: string[] };

type Searchable = {
  type: string;
  actorId: string;
  actor: { display?: unknown };
  action?: string | null;
  environment?: string | null;
  payload?: unknown;
};

/** `value` with its identifiers (lower-cased) moved to `ids`, each replaced by a space. */
function cutIdentifiers(value: string, ids: Set<string>): string {
  return value.replace(IDENTIFIER, (id) => {
    if (ids.size >= MAX_SEARCH_IDS) return id;
    ids.add(id.toLowerCase());
    return " ";
  });
}

/**
 * A free-text term as the timeline matches it against events written this way: the identifiers
 * in it (found in search_ids), the text between them (each piece found in search_text), and
 * `whole`: the identifier when the term is exactly one (lower-cased, spaces around it ignored).
 */
export function searchTermParts(term: string): { ids: string[]; pieces: string[]; whole?: string } {
  const found = new Set<string>();
  const pieces = cutIdentifiers(term, found).split(" ").map((p) => p.trim()).filter((p) => p !== "");
  const ids = [...found];
  return ids.length === 1 && pieces.length === 0 ? { ids, pieces, whole: ids[0] } : { ids, pieces };
}

/**
 * The event's words (as written: the database lower-cases them with lower(), the function it
 * lower-cases search terms with) and its identifiers (lower-cased; ASCII, so either way alike).
 */
export function searchFieldsOf(event: Searchable): SearchFields {
  const words: string[] = [];
  const ids = new Set<string>();
  const add = (value: string) => {
    const rest = cutIdentifiers(value, ids);
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
