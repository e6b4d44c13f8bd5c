import { describe, expect, it } from "vitest";
import { fromUtcField, toUtcField, utc, utcLabel } from "./time";

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
