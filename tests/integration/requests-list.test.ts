// The console's Requests list (lib/requests/list.ts): filters as readers see a request (expiry
// applies on read), keyset pages both ways with the total and each page's position. Runs on its
// own database so counts are exact.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequest } from "@/lib/requests/lifecycle";
import { listRequests, requestListFacets } from "@/lib/requests/list";
import { requestListQuery } from "@/lib/requests/list-filter";
import { createDedicatedDatabase, pointAppAt, waitForSealerIdle, type DedicatedDatabase } from "../support/dedicated-db";
import { auditorViewer, decideAs, makeAgent, oncall, requestBody } from "../support/fixtures";

const auditor = auditorViewer();
const q = (params: Record<string, string>) => requestListQuery.parse(params);

let dedicated: DedicatedDatabase;
let restore: () => void;
let otherAgent = "";
const BULK = 57;

beforeAll(async () => {
  dedicated = await createDedicatedDatabase();
  restore = await pointAppAt(dedicated.handle);
  const { agent } = await makeAgent();
  const { agent: other } = await makeAgent();
  otherAgent = other.id;
  for (let i = 0; i < BULK; i++) await createRequest(agent, requestBody({ action: "batch.job.run", environment: "development", resource: `job/${i}` }));
  const { request: approved } = await createRequest(other, requestBody({ resource: "svc/a" }));
  await decideAs(approved.id, oncall(), "approve", "ok", "console");
  const { request: denied } = await createRequest(other, requestBody({ resource: "svc/b", environment: "staging" }));
  await decideAs(denied.id, oncall(), "deny", "no", "console");
  await createRequest(other, requestBody({ action: "db.orders.read", resource: "db/orders", environment: "qa" })); // auto-approved
}, 60_000);

afterAll(async () => {
  await waitForSealerIdle();
  restore?.();
  await dedicated?.drop();
});

async function everyPage(params: Record<string, string>) {
  const ids: string[] = [];
  const firsts: number[] = [];
  let page = await listRequests(auditor, q(params));
  for (;;) {
    ids.push(...page.items.map((r) => r.id));
    firsts.push(page.first);
    if (!page.older) return { ids, firsts, total: page.total, last: page };
    page = await listRequests(auditor, q({ ...params, after: page.older }));
  }
}

describe("requests list", () => {
  it("pages through every request once, newest first, with the total and each page's position, and back", async () => {
    const { ids, firsts, total, last } = await everyPage({});
    expect(total).toBe(BULK + 3);
    expect(ids.length).toBe(total);
    expect(new Set(ids).size).toBe(total);
    expect(firsts).toEqual([1, 51]);
    const first = await listRequests(auditor, q({}));
    expect(first.newer).toBeNull();
    const back = await listRequests(auditor, q({ before: last.newer! }));
    expect(back.first).toBe(1);
    expect(back.items.map((r) => r.id)).toEqual(first.items.map((r) => r.id));
    const created = first.items.map((r) => r.created_at);
    expect(created).toEqual([...created].sort().reverse());
    // A cursor that does not decode is the first page, never an error.
    expect((await listRequests(auditor, q({ after: "garbage" }))).first).toBe(1);
  });

  it("filters by status as read (expiry included), environment, risk, agent and part of the action", async () => {
    expect((await listRequests(auditor, q({ status: "approved" }))).items.map((r) => r.environment).sort()).toEqual(["production", "qa"]);
    expect((await listRequests(auditor, q({ status: "denied" }))).items.map((r) => r.resource)).toEqual(["svc/b"]);
    expect((await listRequests(auditor, q({ status: "pending" }))).total).toBe(BULK);
    // An hour and a half later every pending request has passed its deadline: it reads as expired.
    const later = { now: new Date(Date.now() + 90 * 60_000) };
    expect((await listRequests(auditor, q({ status: "pending" }), later)).total).toBe(0);
    expect((await listRequests(auditor, q({ status: "expired" }), later)).total).toBeGreaterThanOrEqual(BULK);
    expect((await listRequests(auditor, q({ environment: "staging" }))).items.map((r) => r.resource)).toEqual(["svc/b"]);
    expect((await listRequests(auditor, q({ agent: otherAgent }))).total).toBe(3);
    const batch = await everyPage({ action: "JOB.r" });
    expect(batch.total).toBe(BULK);
    expect(new Set(batch.ids).size).toBe(BULK);
    expect((await listRequests(auditor, q({ risk: "low", action: "batch" }))).total).toBe(BULK - 1); // the first use is medium
    // LIKE wildcards are literal; a value that does not parse is no filter.
    expect((await listRequests(auditor, q({ action: "%" }))).total).toBe(0);
    expect((await listRequests(auditor, q({ status: "bogus" }))).total).toBe(BULK + 3);
    expect((await requestListFacets(auditor)).environments).toEqual(["development", "production", "qa", "staging"]);
  });

  it("needs the read capability", async () => {
    await expect(listRequests(null, q({}))).rejects.toMatchObject({ code: "unauthorized" });
  });
});
