// The reviewer API's client: a person decides from a terminal or a script with their personal
// token (csr_…, created on the console's Account page). The server applies the console's rules to
// every call — groups confirmed now, no self-approval, approver groups, step-up only in the console
// — and a refusal arrives as an ApiError with the server's code and message.
//
//   const reviewer = new Reviewer(); // $COUNTERSIGN_URL, $COUNTERSIGN_REVIEWER_TOKEN
//   for (const r of (await reviewer.list()).items) console.log(r.action, r.you.may_approve);
//   await reviewer.approve(id, "checked the diff");
import { call, connection, type HttpOptions } from "./http.js";
import type { RequestView } from "./types.js";

export type ReviewerOptions = {
  /** The Countersign server, e.g. https://countersign.example.com. Default: $COUNTERSIGN_URL. */
  url?: string | URL;
  /** The reviewer's personal token (csr_…). Default: $COUNTERSIGN_REVIEWER_TOKEN. */
  token?: string;
  /** How long a read keeps retrying network failures, 429 and 503 (ms, default 30 000). */
  retryFor?: number;
  /** fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch;
};

/** Why a vote would be refused now: the server's error code and message. */
export type VoteRefusal = { code: string; message: string };

/** A request as its reviewer sees it, with what they may do with it now (component Review). */
export type ReviewView = RequestView & {
  you: { may_approve: boolean; may_deny: boolean; why_not_approve: VoteRefusal | null; why_not_deny: VoteRefusal | null };
};

/** The requests the reviewer may vote on now (component ReviewList). */
export type ReviewList = { items: ReviewView[]; truncated: boolean };

export class Reviewer {
  readonly url: URL;
  private readonly http: HttpOptions;

  constructor(options: ReviewerOptions = {}) {
    this.http = connection(
      "Reviewer",
      { ...options, credential: options.token },
      { env: "COUNTERSIGN_REVIEWER_TOKEN", what: "reviewer token (pass { token }; create one on the console's Account page)" },
      30_000,
    );
    this.url = this.http.baseUrl;
  }

  /** The console page of a request (where step-up approvals are made). */
  consoleUrl(id: string): string {
    return new URL(`requests/${encodeURIComponent(id)}`, this.url).toString();
  }

  /** Pending requests the reviewer may vote on now, riskiest then newest first (scope `read`). */
  list(opts: { signal?: AbortSignal } = {}): Promise<ReviewList> {
    return call<ReviewList>(this.http, "GET", "api/v1/reviews", { retry: "safe", signal: opts.signal });
  }

  /** One request, whole, with whether the reviewer may approve or deny it now (scope `read`). */
  show(id: string, opts: { signal?: AbortSignal } = {}): Promise<ReviewView> {
    return call<ReviewView>(this.http, "GET", `api/v1/reviews/${encodeURIComponent(id)}`, { retry: "safe", signal: opts.signal });
  }

  /** Approves (scope `decide`); the request as it now stands. A vote is retried only when it provably was not received. */
  approve(id: string, note?: string, opts: { signal?: AbortSignal } = {}): Promise<RequestView> {
    return this.vote(id, "approve", note, opts.signal);
  }

  /** Denies with a note, which the server requires (scope `decide`). */
  deny(id: string, note: string, opts: { signal?: AbortSignal } = {}): Promise<RequestView> {
    return this.vote(id, "deny", note, opts.signal);
  }

  private vote(id: string, decision: "approve" | "deny", note: string | undefined, signal?: AbortSignal): Promise<RequestView> {
    const body = note === undefined ? {} : { note };
    return call<RequestView>(this.http, "POST", `api/v1/reviews/${encodeURIComponent(id)}/${decision}`, { body, retry: "unsent", signal });
  }
}
