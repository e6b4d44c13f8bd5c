import { describe, expect, it } from "vitest";
import { ApiError, CancelledError, ConnectionError, DeniedError, ExpiredError, GrantVerificationError, RefusedByPolicyError, WaitTimeoutError } from "../errors.js";
import type { RequestView } from "../types.js";
import { EXIT, failureOf, Interrupted, signalExitCode, UsageError } from "./exit-codes.js";

const request = (over: Partial<RequestView>): RequestView =>
  ({
    id: "r1",
    status: "denied",
    reviews: [],
    policy: { rule: "no-prod-db-drops", decision: "deny", explanation: "never", approver_groups: [], hash: "h", step_up: false },
    decision_deadline: "2030-01-01T00:00:00.000Z",
    grant_expires_at: null,
    decided_at: null,
    ...over,
  }) as RequestView;

describe("failureOf", () => {
  it("gives each outcome its documented exit code", () => {
    const denied = new DeniedError(request({ reviews: [{ reviewer: "p1", name: "Rita Reviewer", decision: "deny", note: "Not now", channel: "console", at: "" }] }));
    expect(failureOf(denied)).toMatchObject({ code: EXIT.denied, message: 'denied by Rita Reviewer: "Not now".' });
    expect(failureOf(new RefusedByPolicyError(request({}))).code).toBe(EXIT.refused);
    expect(failureOf(new ExpiredError(request({ status: "expired" }))).code).toBe(EXIT.expired);
    expect(failureOf(new CancelledError(request({ status: "cancelled" }))).code).toBe(EXIT.cancelled);
    expect(failureOf(new WaitTimeoutError("r1", 5000)).code).toBe(EXIT.timeout);
    expect(failureOf(new GrantVerificationError("mismatch", "params_hash differs", "params_hash")).code).toBe(EXIT.grantRefused);
    expect(failureOf(new ConnectionError("refused")).code).toBe(EXIT.unreachable);
    expect(failureOf(new UsageError("bad")).code).toBe(EXIT.usage);
    expect(failureOf(new Error("boom")).code).toBe(EXIT.error);
  });

  it("maps the server's refusals: a reused key or a spent approval is a refused grant, a bad body or key is usage", () => {
    expect(failureOf(new ApiError(409, "idempotency_conflict", "different body")).code).toBe(EXIT.grantRefused);
    expect(failureOf(new ApiError(409, "already_executed", "used")).code).toBe(EXIT.grantRefused);
    expect(failureOf(new ApiError(410, "expired", "grant window over")).code).toBe(EXIT.expired);
    expect(failureOf(new ApiError(401, "unauthorized", "bad key")).code).toBe(EXIT.usage);
    const invalid = failureOf(new ApiError(400, "invalid_request", "Invalid", [{ path: "environment", message: "must be lower-case" }]));
    expect(invalid.code).toBe(EXIT.usage);
    expect(invalid.message).toContain("environment: must be lower-case");
    expect(failureOf(new ApiError(404, "not_found", "no such request")).code).toBe(EXIT.error);
  });

  it("exits 128 + the signal's number for a signal before the command ran", () => {
    expect(signalExitCode("SIGINT")).toBe(130);
    expect(signalExitCode("SIGTERM")).toBe(143);
    expect(signalExitCode("SIGHUP")).toBe(129);
    expect(failureOf(new Interrupted("SIGTERM")).code).toBe(143);
  });
});
