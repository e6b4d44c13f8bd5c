// The audit timeline's view as a URL says it: filter names, sort keys, page size and the schema
// that parses them. One definition for the page, the API (events and export) and the client table
// (components/audit/timeline-url.ts), so a filter cannot mean two things. No server imports.
import "@/lib/input/zod-config";
import { z } from "zod";
import { CHANNELS, RISK_LEVELS } from "@/lib/vocabulary";

/** The filters, in the order they are written in links and recorded on exports. */
export const FILTER_KEYS = [
  "from",
  "to",
  "type",
  "actor",
  "agent",
  "action",
  "environment",
  "risk",
  "outcome",
  "channel",
  "request",
  "params_hash",
  "q",
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export const SORT_KEYS = ["time", "type", "actor", "channel"] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const SORT_DIRECTIONS = ["asc", "desc"] as const;
export type SortDir = (typeof SORT_DIRECTIONS)[number];

export const DEFAULT_SORT: SortKey = "time";
export const DEFAULT_DIR: SortDir = "desc";
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((s) => s || undefined);

/** An empty parameter (an unset menu in a shared link) means no filter. */
const orEmpty = <T extends z.ZodType>(schema: T) => schema.optional().or(z.literal("").transform(() => undefined));

const filterFields = {
  from: orEmpty(z.iso.datetime({ offset: true })),
  to: orEmpty(z.iso.datetime({ offset: true })),
  type: optionalText(400),
  actor: optionalText(320),
  agent: orEmpty(z.uuid()),
  action: optionalText(200),
  environment: optionalText(64),
  risk: orEmpty(z.enum(RISK_LEVELS)),
  outcome: optionalText(32),
  channel: orEmpty(z.enum(CHANNELS)),
  /** A request's id: its events (lower-cased, as PostgreSQL prints a uuid). */
  request: orEmpty(z.uuid().transform((s) => s.toLowerCase())),
  /** The events of every request filed with exactly these parameters (SPEC §1's params_hash). */
  params_hash: orEmpty(
    z
      .string()
      .trim()
      .regex(/^[0-9a-fA-F]{64}$/, "a params_hash is 64 hexadecimal digits")
      .transform((s) => s.toLowerCase()),
  ),
  q: optionalText(200),
} satisfies Record<FilterKey, z.ZodType>;

/** URL search params of the timeline page and the export API (the same names in both). */
export const timelineQuery = z.object({
  ...filterFields,
  sort: z.enum(SORT_KEYS).default(DEFAULT_SORT),
  dir: z.enum(SORT_DIRECTIONS).default(DEFAULT_DIR),
  after: optionalText(400),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
});
export type TimelineQuery = z.infer<typeof timelineQuery>;

/** The filter as the user gave it, without paging: recorded on exports and in their trailers. */
export function describedFilter(q: TimelineQuery): Record<string, string> {
  return Object.fromEntries(FILTER_KEYS.flatMap((k) => (q[k] ? [[k, String(q[k])]] : [])));
}

type RawParams = Record<string, string | string[] | undefined>;

/**
 * A page's URL parameters as a view, or as much of it as is valid: parameters that do not parse are
 * dropped (and named, for a notice) rather than failing the page, since links get hand-edited and
 * truncated. The timeline and the event page (whose previous/next follow the timeline's filters).
 */
export function parseTimelineParams(raw: RawParams): { query: TimelineQuery; ignored: { key: string; message: string }[] } {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (value !== undefined) params[k] = value;
  }
  const first = timelineQuery.safeParse(params);
  if (first.success) return { query: first.data, ignored: [] };
  const ignored = first.error.issues.map((i) => ({ key: String(i.path[0] ?? "?"), message: i.message }));
  for (const { key } of ignored) delete params[key];
  const second = timelineQuery.safeParse(params);
  return { query: second.success ? second.data : timelineQuery.parse({}), ignored };
}
