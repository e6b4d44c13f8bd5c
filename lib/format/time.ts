// Times in the console: UTC unless the person chose their own zone (below), written the same on the
// server and in every browser (no hydration drift, and a time read out in an incident call matches
// the audit log and its exports, which are always UTC).

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

// ── display zone ─────────────────────────────────────────────────────────────────────────────
// UTC is the default and what exports are written in. A person may choose to read times in their
// browser's zone instead: the choice is a cookie holding that zone's IANA name (set by the
// toggle), so the server renders the same text the browser would (no hydration drift, no flash).

/** The cookie that holds a chosen display zone; absent means UTC. */
export const DISPLAY_ZONE_COOKIE = "countersign_tz";
export const UTC_ZONE = "UTC";

/** The display zone a cookie names, or UTC when it is absent or not a zone this runtime knows. */
export function parseDisplayZone(value: string | undefined): string {
  if (!value || value.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(value)) return UTC_ZONE;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    // As the browser named it: the runtime's ICU may canonicalize to an older alias
    // (Asia/Kolkata → Asia/Calcutta), and the toggle compares the cookie with the browser's name.
    return value;
  } catch {
    return UTC_ZONE;
  }
}

const zonedFormats = new Map<string, Intl.DateTimeFormat>();
function wallClock(ms: number, zone: string): { y: string; mo: string; d: string; h: string; mi: string; s: string } {
  let f = zonedFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    zonedFormats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! };
}

/** Minutes east of UTC of `zone` at instant `ms`. */
function offsetMinutes(ms: number, zone: string): number {
  const w = wallClock(ms, zone);
  const asUtc = Date.UTC(Number(w.y), Number(w.mo) - 1, Number(w.d), Number(w.h), Number(w.mi), Number(w.s));
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** `UTC`, or the zone's offset at that instant: `UTC+05:30`, `UTC-04:00`. */
export function zoneOffsetLabel(t: Instant, zone: string): string {
  if (zone === UTC_ZONE) return "UTC";
  const m = offsetMinutes(new Date(isoOf(t)).getTime(), zone);
  const abs = Math.abs(m);
  return `UTC${m < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** Like `utc()`, in the display zone: exactly `utc()` for UTC. */
export function zoned(t: Instant, zone: string, precision: "seconds" | "minutes" = "seconds"): string {
  if (zone === UTC_ZONE) return utc(t, precision);
  const w = wallClock(new Date(isoOf(t)).getTime(), zone);
  return `${w.y}-${w.mo}-${w.d} ${w.h}:${w.mi}${precision === "seconds" ? `:${w.s}` : ""}`;
}

/** Like `utcLabel()`, in the display zone, with the zone's offset at that time. */
export function zonedLabel(t: Instant, zone: string, precision: "seconds" | "minutes" = "seconds"): string {
  return `${zoned(t, zone, precision)} ${zoneOffsetLabel(t, zone)}`;
}

/** How a column header names the zone: "UTC", or the zone's name ("Europe/Paris"). */
export const zoneName = (zone: string): string => (zone === UTC_ZONE ? "UTC" : zone.replaceAll("_", " "));
