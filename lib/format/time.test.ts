import { describe, expect, it } from "vitest";
import { fromUtcField, parseDisplayZone, toUtcField, utc, utcLabel, zoned, zonedLabel, zoneOffsetLabel } from "./time";

describe("console times", () => {
  const at = new Date("2025-03-01T14:07:09.123Z");

  it("writes an instant in UTC, to the second or the minute, from a Date or an ISO string", () => {
    expect(utc(at)).toBe("2025-03-01 14:07:09");
    expect(utc("2025-03-01T16:07:09.123+02:00")).toBe("2025-03-01 14:07:09");
    expect(utc(at, "minutes")).toBe("2025-03-01 14:07");
    expect(utcLabel(at)).toBe("2025-03-01 14:07:09 UTC");
    expect(utcLabel(at.toISOString(), "minutes")).toBe("2025-03-01 14:07 UTC");
  });

  it("fills a datetime-local field in UTC and reads it back as an ISO instant", () => {
    expect(toUtcField("2025-03-01T16:07:09+02:00")).toBe("2025-03-01T14:07");
    expect(fromUtcField("2025-03-01T14:07")).toBe("2025-03-01T14:07:00.000Z");
    expect(toUtcField("")).toBe("");
    expect(toUtcField("yesterday-ish")).toBe("");
    expect(fromUtcField("")).toBe("");
    expect(fromUtcField("not a time")).toBe("");
  });
});

// The display zone: UTC is written exactly as before; another zone is the wall clock there with
// its offset at that instant (daylight saving included); a cookie naming no zone means UTC.
describe("display zones", () => {
  const t = "2026-03-08T06:30:05.123Z"; // 01:30:05 in New York, half an hour before its clocks go forward

  it("UTC is the console's format unchanged", () => {
    expect(zoned(t, "UTC")).toBe(utc(t));
    expect(zonedLabel(t, "UTC", "minutes")).toBe("2026-03-08 06:30 UTC");
  });

  it("another zone is its wall clock with the offset at that instant", () => {
    expect(zonedLabel(t, "Asia/Kolkata")).toBe("2026-03-08 12:00:05 UTC+05:30");
    expect(zonedLabel(t, "America/New_York")).toBe("2026-03-08 01:30:05 UTC-05:00");
    expect(zonedLabel("2026-03-08T08:30:05Z", "America/New_York")).toBe("2026-03-08 04:30:05 UTC-04:00");
    expect(zoneOffsetLabel("2026-01-15T12:00:00Z", "America/St_Johns")).toBe("UTC-03:30");
    expect(zoned("2026-12-31T23:59:59Z", "Pacific/Kiritimati", "minutes")).toBe("2027-01-01 13:59");
  });

  it("a cookie that names no zone is UTC", () => {
    for (const bad of [undefined, "", "Mars/Olympus_Mons", "UTC; drop", "../../etc", "x".repeat(80)]) expect(parseDisplayZone(bad)).toBe("UTC");
    expect(parseDisplayZone("Europe/Paris")).toBe("Europe/Paris");
    expect(parseDisplayZone("Asia/Kolkata")).toBe("Asia/Kolkata");
  });
});
