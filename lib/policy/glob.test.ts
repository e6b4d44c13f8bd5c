import { describe, expect, it } from "vitest";
import { actionGlobProblem, isValidActionName, matchesAction, matchesResource, resourceGlobProblem } from "./glob";

describe("matchesAction", () => {
  it.each([
    ["iam.policy.update", "iam.policy.update", true],
    ["iam.policy.update", "iam.policy.updates", false],
    ["db.*.drop", "db.customers.drop", true],
    ["db.*.drop", "db.drop", false],
    ["db.*.drop", "db.a.b.drop", false],
    ["iam.**", "iam", true],
    ["iam.**", "iam.policy", true],
    ["iam.**", "iam.policy.attach.role", true],
    ["iam.**", "iamx.policy", false],
    ["**.read", "read", true],
    ["**.read", "db.customers.read", true],
    ["**.read", "db.customers.reader", false],
    ["*.read", "db.read", true],
    ["*.read", "db.customers.read", false],
    ["a.**.z", "a.z", true],
    ["a.**.z", "a.b.c.z", true],
    ["deploy.*", "deploy.service", true],
    ["deploy.*", "deploy", false],
    ["deploy.*", "deploy.service.canary", false],
    ["**", "anything.at.all", true],
    ["**.{scale,restart}", "k8s.deployment.scale", true],
    ["**.{scale,restart}", "k8s.deployment.restart", true],
    ["**.{scale,restart}", "k8s.deployment.delete", false],
    ["data.export*", "data.exports", true],
    ["data.export*", "data.export.csv", false],
  ])("%s vs %s -> %s", (pattern, action, expected) => {
    expect(matchesAction(pattern, action)).toBe(expected);
  });

  it("is case-sensitive", () => {
    expect(matchesAction("iam.**", "IAM.policy")).toBe(false);
  });

  it("never matches a malformed action name, not even with **", () => {
    for (const action of ["", "iam..policy", ".iam", "iam.", "iam/policy", "iam policy", "iam.*"]) {
      expect(matchesAction("**", action)).toBe(false);
    }
  });
});

describe("isValidActionName", () => {
  it("accepts dotted names of letters, digits, _ and -", () => {
    expect(isValidActionName("k8s.deployment-v2.scale_up")).toBe(true);
    expect(isValidActionName("single")).toBe(true);
  });
  it("rejects empty segments, wildcards and separators", () => {
    for (const name of ["", "a..b", "a.", ".a", "a.*", "a/b", "a b", "a:b"]) expect(isValidActionName(name)).toBe(false);
  });
});

describe("actionGlobProblem", () => {
  it("accepts sane globs", () => {
    for (const pattern of ["**", "iam.**", "db.*.drop", "**.read", "*-prod.*", "**.{read,describe}", "a.**.b"]) {
      expect(actionGlobProblem(pattern)).toBeUndefined();
    }
  });
  it.each([
    ["", "action glob must not be empty"],
    ["iam..update", 'action glob "iam..update" has an empty segment (check for ".." or a dot at either end)'],
    ["iam.", 'action glob "iam." has an empty segment (check for ".." or a dot at either end)'],
    [
      "iam.a**",
      'action glob "iam.a**" has an invalid segment "a**"; use letters, digits, "_", "-", "*" (one segment), "**" (any number of segments) or {a,b}',
    ],
    [
      "iam/policy",
      'action glob "iam/policy" has an invalid segment "iam/policy"; use letters, digits, "_", "-", "*" (one segment), "**" (any number of segments) or {a,b}',
    ],
    [
      "***",
      'action glob "***" has an invalid segment "***"; use letters, digits, "_", "-", "*" (one segment), "**" (any number of segments) or {a,b}',
    ],
  ])("%j", (pattern, message) => {
    expect(actionGlobProblem(pattern)).toBe(message);
  });
  it("rejects other glob syntax picomatch would interpret", () => {
    for (const pattern of ["iam.[ab]", "iam.?", "!iam.**", "iam.{a}", "iam.{a.b,c}", "iam.+(a)"]) {
      expect(actionGlobProblem(pattern)).toBeDefined();
    }
  });
});

describe("matchesResource", () => {
  it.each([
    ["**", "", true],
    ["**", "postgres://prod-db/customers", true],
    ["s3://prod-*/**", "s3://prod-logs/2024/01/a.gz", true],
    ["s3://prod-*/**", "s3://dev-logs/a", false],
    ["s3://exports/**", "s3://exports/.hidden/file", true],
    ["arn:aws:iam::*:role/prod-*", "arn:aws:iam::123456789012:role/prod-deployer", true],
    ["arn:aws:iam::*:role/prod-*", "arn:aws:iam::123456789012:role/staging-deployer", false],
    ["customers", "customers", true],
    ["customers", "customers-eu", false],
  ])("%s vs %s -> %s", (pattern, resource, expected) => {
    expect(matchesResource(pattern, resource)).toBe(expected);
  });
});

describe("resourceGlobProblem", () => {
  it("accepts globs and plain names", () => {
    expect(resourceGlobProblem("s3://prod-*/**")).toBeUndefined();
    expect(resourceGlobProblem("customers")).toBeUndefined();
  });
  it("rejects blank patterns", () => {
    expect(resourceGlobProblem("")).toBe("resource glob must not be empty");
    expect(resourceGlobProblem("   ")).toBe("resource glob must not be empty");
  });
});
