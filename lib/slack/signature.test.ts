import { describe, expect, it } from "vitest";
import { signSlackRequest, verifySlackSignature } from "./signature";

// Slack's worked example ("Verifying requests from Slack"): a slash-command body.
const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const TIMESTAMP = "1531420618";
const BODY =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const EXPECTED = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

const at = (seconds: number) => new Date(seconds * 1000);
const check = (over: Partial<Parameters<typeof verifySlackSignature>[0]> = {}) =>
  verifySlackSignature({ signingSecret: SECRET, timestamp: TIMESTAMP, signature: EXPECTED, rawBody: BODY, now: at(1531420618), ...over });

describe("verifySlackSignature", () => {
  it("computes Slack's published test vector", () => {
    expect(signSlackRequest(SECRET, TIMESTAMP, BODY)).toBe(EXPECTED);
  });

  it("accepts the published example with the clock at its timestamp, and up to 5 minutes either side", () => {
    expect(check()).toEqual({ ok: true });
    expect(check({ now: at(1531420618 + 300) })).toEqual({ ok: true });
    expect(check({ now: at(1531420618 - 300) })).toEqual({ ok: true });
  });

  it("refuses a stale timestamp (a replayed old body) and a future one, whatever the signature", () => {
    expect(check({ now: at(1531420618 + 301) })).toEqual({ ok: false, reason: "stale_timestamp" });
    expect(check({ now: at(1531420618 - 301) })).toEqual({ ok: false, reason: "stale_timestamp" });
    // The real time: the 2018 example is years old.
    expect(check({ now: new Date() })).toEqual({ ok: false, reason: "stale_timestamp" });
  });

  it("refuses a wrong signature, a tampered body and the wrong secret", () => {
    const flipped = EXPECTED.slice(0, -1) + (EXPECTED.endsWith("3") ? "4" : "3");
    expect(check({ signature: flipped })).toEqual({ ok: false, reason: "bad_signature" });
    expect(check({ rawBody: BODY.replace("text=", "text=x") })).toEqual({ ok: false, reason: "bad_signature" });
    expect(check({ signingSecret: "another-secret" })).toEqual({ ok: false, reason: "bad_signature" });
    expect(check({ signature: "v0=lolno" })).toEqual({ ok: false, reason: "malformed_signature" });
    expect(check({ signature: EXPECTED.replace("v0=", "v1=") })).toEqual({ ok: false, reason: "malformed_signature" });
  });

  it("refuses missing headers and a malformed timestamp", () => {
    expect(check({ signature: null })).toEqual({ ok: false, reason: "missing_headers" });
    expect(check({ timestamp: undefined })).toEqual({ ok: false, reason: "missing_headers" });
    expect(check({ timestamp: "", signature: "" })).toEqual({ ok: false, reason: "missing_headers" });
    expect(check({ timestamp: "1531420618.5" })).toEqual({ ok: false, reason: "malformed_timestamp" });
    expect(check({ timestamp: "-1531420618" })).toEqual({ ok: false, reason: "malformed_timestamp" });
  });
});
