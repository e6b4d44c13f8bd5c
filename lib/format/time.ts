// Times in the console: always UTC, written the same on the server and in every browser (no
// hydration drift, and a time read out in an incident call matches the audit log and its exports).

type Instant = Date | string;

const isoOf = (t: Instant) => (typeof t === "string" ? new Date(t) : t).toISOString();

/** `2025-03-01 14:07:09` (or `2025-03-01 14:07` to the minute), UTC, without a suffix: for columns headed "(UTC)". */
export function utc(t: Instant, precision: "seconds" | "minutes" = "seconds"): string {
  return isoOf(t).replace("T", " ").slice(0, precision === "seconds" ? 19 : 16);
}

/** `2025-03-01 14:07:09 UTC`: a time standing on its own. */
export function utcLabel(t: Instant, precision: "seconds" | "minutes" = "seconds"): string {
  return `${utc(t, precision)} UTC`;
}

/** An ISO instant ↔ the `YYYY-MM-DDTHH:mm` (UTC) of a datetime-local field; "" when there is none. */
export function toUtcField(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? "" : new Date(t).toISOString().slice(0, 16);
}

export function fromUtcField(field: string): string {
  if (!field) return "";
  const t = Date.parse(`${field}Z`);
  return Number.isNaN(t) ? "" : new Date(t).toISOString();
}
