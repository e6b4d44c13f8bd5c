import { describe, expect, it } from "vitest";
import { matches, parseFilter, parsePatchPath } from "./filter";

const code = (f: () => unknown): string => {
  try {
    f();
    return "ok";
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe("SCIM filters", () => {
  it("reads the comparisons directories send", () => {
    expect(parseFilter('userName eq "Jo@Acme.test"')).toEqual({ attr: "userName", value: "Jo@Acme.test" });
    expect(parseFilter('displayName eq "security-team"')).toEqual({ attr: "displayName", value: "security-team" });
    expect(parseFilter("active eq true")).toEqual({ attr: "active", value: true });
    expect(parseFilter('emails.value eq "a@b.c"')).toEqual({ attr: "emails", sub: "value", value: "a@b.c" });
  });

  it("reads attribute names and the operator case-insensitively, and a core schema's URN as no prefix", () => {
    expect(parseFilter('USERNAME EQ "x"')).toEqual({ attr: "userName", value: "x" });
    expect(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"')).toEqual({ attr: "userName", value: "x" });
  });

  it("takes JSON string escapes, and words such as `and` inside the quotes", () => {
    expect(parseFilter('userName eq "a\\"b"')).toEqual({ attr: "userName", value: 'a"b' });
    expect(parseFilter('displayName eq "rock and (roll)"')).toEqual({ attr: "displayName", value: "rock and (roll)" });
  });

  it.each([
    'userName co "x"',
    'userName ne "x"',
    "userName pr",
    'userName eq "x" and active eq true',
    'userName eq "x" or userName eq "y"',
    '(userName eq "x")',
    'not (userName eq "x")',
    "userName eq",
    'userName eq "unterminated',
    'userName eq "bad \\q escape"',
    "userName eq unquoted",
    'emails[type eq "work"].value eq "x"',
    'urn:acme:ext:1.0:User:badge eq "x"',
    "",
  ])("refuses %j with invalid_filter", (filter) => {
    expect(code(() => parseFilter(filter))).toBe("invalid_filter");
  });
});

describe("SCIM PATCH paths", () => {
  it("reads attributes, sub-attributes, value filters and extension URNs", () => {
    expect(parsePatchPath("active")).toEqual({ attr: "active" });
    expect(parsePatchPath("name.givenName")).toEqual({ attr: "name", sub: "givenName" });
    expect(parsePatchPath('members[value eq "2819c223-7f76-453a-919d-413861904646"]')).toEqual({
      attr: "members",
      filter: { attr: "value", value: "2819c223-7f76-453a-919d-413861904646" },
    });
    expect(parsePatchPath('emails[type eq "work"].value')).toEqual({ attr: "emails", filter: { attr: "type", value: "work" }, sub: "value" });
    expect(parsePatchPath("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber")).toEqual({
      urn: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
      attr: "employeeNumber",
    });
    expect(parsePatchPath("urn:ietf:params:scim:schemas:core:2.0:User:active")).toEqual({ attr: "active" });
  });

  it.each(["", "members[", 'members[value eq "x"', "name.givenName.first", "1abc", 'members[value co "x"]', "members[value.x eq \"y\"]", "a b"])(
    "refuses %j with invalid_path",
    (path) => {
      expect(code(() => parsePatchPath(path))).toBe("invalid_path");
    },
  );

  it("matches a multi-valued attribute's elements, strings case-insensitively", () => {
    expect(matches({ type: "Work", value: "a" }, { attr: "type", value: "work" })).toBe(true);
    expect(matches({ primary: true }, { attr: "primary", value: true })).toBe(true);
    expect(matches({ primary: "true" }, { attr: "primary", value: true })).toBe(false);
    expect(matches("work", { attr: "type", value: "work" })).toBe(false);
  });
});
