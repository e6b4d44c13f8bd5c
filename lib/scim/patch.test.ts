import { describe, expect, it } from "vitest";
import { applyPatch, parsePatchRequest, type PatchRules } from "./patch";
import type { PatchOperation } from "./schema";

const USER: PatchRules = { readOnly: ["groups"], discarded: ["password"] };
const GROUP: PatchRules = { readOnly: [], discarded: [] };
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

const user = () => ({
  userName: "jo@acme.test",
  active: true,
  name: { givenName: "Jo", familyName: "Doe" },
  emails: [{ value: "jo@acme.test", type: "work", primary: true }],
});
const group = () => ({ displayName: "security-team", members: [{ value: "u1" }, { value: "u2" }] });

const patch = (doc: Record<string, unknown>, ops: PatchOperation[], rules = USER) => applyPatch(doc, ops, rules);

const code = (f: () => unknown): string => {
  try {
    f();
    return "ok";
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe("PatchOp messages", () => {
  it("reads Okta's message, and Entra's capitalised operations", () => {
    expect(parsePatchRequest({ schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] })).toEqual([
      { op: "replace", value: { active: false } },
    ]);
    expect(parsePatchRequest({ schemas: [PATCH_OP], operations: [{ Op: "Replace", Path: "active", Value: "False" }] })).toEqual([
      { op: "replace", path: "active", value: "False" },
    ]);
  });

  it.each([
    ["an unknown op", { schemas: [PATCH_OP], Operations: [{ op: "merge", value: {} }] }],
    ["no operations", { schemas: [PATCH_OP], Operations: [] }],
    ["operations that are not a list", { schemas: [PATCH_OP], Operations: { op: "add" } }],
    ["another message's schema", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], Operations: [{ op: "add", value: {} }] }],
    ["an array", [{ op: "add" }]],
  ])("refuses %s", (_what, body) => {
    expect(code(() => parsePatchRequest(body))).toBe("invalid_request");
  });
});

describe("applyPatch", () => {
  it("deactivates as Okta does, without touching the input", () => {
    const before = user();
    expect(patch(before, [{ op: "replace", value: { active: false } }])).toMatchObject({ active: false, userName: "jo@acme.test" });
    expect(before.active).toBe(true);
  });

  it("replaces sub-attributes, merging a complex attribute, and by path", () => {
    const after = patch(user(), [
      { op: "replace", value: { "name.givenName": "Joanna" } },
      { op: "replace", path: "name.familyName", value: "Roe" },
      { op: "replace", value: { name: { middleName: "Q" } } },
    ]);
    expect(after.name).toEqual({ givenName: "Joanna", familyName: "Roe", middleName: "Q" });
  });

  it("updates, creates and removes values of a multi-valued attribute through a value filter", () => {
    const updated = patch(user(), [{ op: "replace", path: 'emails[type eq "work"].value', value: "joanna@acme.test" }]);
    expect(updated.emails).toEqual([{ value: "joanna@acme.test", type: "work", primary: true }]);
    const added = patch(user(), [{ op: "add", path: 'emails[type eq "home"].value', value: "jo@home.test" }]);
    expect(added.emails).toEqual([
      { value: "jo@acme.test", type: "work", primary: true },
      { type: "home", value: "jo@home.test" },
    ]);
    expect(patch(user(), [{ op: "remove", path: 'emails[type eq "work"]' }]).emails).toBeUndefined();
    expect(patch(user(), [{ op: "remove", path: 'emails[type eq "home"]' }]).emails).toHaveLength(1);
  });

  it("appends with add, replaces with replace, and a null value unassigns", () => {
    expect(patch(user(), [{ op: "add", path: "emails", value: [{ value: "b@acme.test" }] }]).emails).toHaveLength(2);
    expect(patch(user(), [{ op: "replace", path: "emails", value: [{ value: "b@acme.test" }] }]).emails).toEqual([{ value: "b@acme.test" }]);
    expect(patch(user(), [{ op: "replace", path: "name", value: null }]).name).toBeUndefined();
  });

  it("spells a client's attribute names canonically rather than keeping two", () => {
    const after = patch(user(), [{ op: "replace", value: { Active: false, USERNAME: "JO@acme.test" } }]);
    expect(after).toMatchObject({ active: false, userName: "JO@acme.test" });
    expect(Object.keys(after)).not.toContain("Active");
  });

  it("keeps an extension's attributes under its schema URN", () => {
    const urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    expect(patch(user(), [{ op: "add", value: { [urn]: { employeeNumber: "42" } } }])[urn]).toEqual({ employeeNumber: "42" });
    expect(patch(user(), [{ op: "replace", path: `${urn}:department`, value: "Security" }])[urn]).toEqual({ department: "Security" });
  });

  it("ignores the id Okta echoes when renaming a group, and a password; refuses read-only attributes by path", () => {
    expect(patch(group(), [{ op: "replace", value: { id: "g1", displayName: "sec" } }], GROUP)).toMatchObject({ displayName: "sec" });
    expect(patch(user(), [{ op: "replace", value: { password: "hunter2" } }])).not.toHaveProperty("password");
    expect(code(() => patch(user(), [{ op: "add", path: "groups", value: [{ value: "g1" }] }]))).toBe("mutability");
    expect(code(() => patch(user(), [{ op: "replace", path: "id", value: "x" }]))).toBe("mutability");
  });

  it("adds and removes group members as Okta and Entra send them", () => {
    expect(patch(group(), [{ op: "add", path: "members", value: [{ value: "u3", display: "c@acme.test" }] }], GROUP).members).toEqual([
      { value: "u1" },
      { value: "u2" },
      { value: "u3", display: "c@acme.test" },
    ]);
    expect(patch(group(), [{ op: "remove", path: 'members[value eq "u1"]' }], GROUP).members).toEqual([{ value: "u2" }]);
    expect(patch(group(), [{ op: "remove", path: 'members[value eq "nobody"]' }], GROUP).members).toHaveLength(2);
    expect(patch(group(), [{ op: "remove", path: "members", value: [{ value: "u2" }] }], GROUP).members).toEqual([{ value: "u1" }]);
    expect(patch(group(), [{ op: "remove", path: "members" }], GROUP)).not.toHaveProperty("members");
    expect(patch(group(), [{ op: "replace", path: "members", value: [{ value: "u9" }] }], GROUP).members).toEqual([{ value: "u9" }]);
  });

  it("refuses what it cannot apply, naming the operation", () => {
    expect(code(() => patch(user(), [{ op: "remove" }]))).toBe("no_target");
    expect(code(() => patch(user(), [{ op: "replace", value: false }]))).toBe("invalid_request");
    expect(code(() => patch(user(), [{ op: "add", path: "name.givenName" }]))).toBe("invalid_request");
    expect(code(() => patch(user(), [{ op: "replace", path: "emails.value", value: "x" }]))).toBe("invalid_path");
    expect(code(() => patch(user(), [{ op: "replace", path: 'name[type eq "x"]', value: {} }]))).toBe("invalid_path");
    expect(code(() => patch(user(), [{ op: "replace", path: "emails[", value: 1 }]))).toBe("invalid_path");
    expect(() => patch(user(), [{ op: "replace", value: {} }, { op: "remove" }])).toThrow(/^Operations\[1\]: /);
  });
});
