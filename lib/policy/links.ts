// The policy's `links:` section: URL templates that turn a request's references (its run id, trace
// id and ticket fields) into links to the CI, tracing and ticket systems. One rule for what a
// template may be and one for how a value fills it, shared by the policy parser and the console.
import type { LinkField, PolicyLinks } from "./types";

const PLACEHOLDER = "{value}";

/** Why `template` is not a usable link template, or null: an absolute http(s) URL with `{value}` in it. */
export function linkTemplateProblem(template: string): string | null {
  if (!template.includes(PLACEHOLDER)) return `must contain ${PLACEHOLDER} where the reference goes, e.g. "https://ci.example.com/runs/{value}"`;
  let url: URL;
  try {
    url = new URL(template.replaceAll(PLACEHOLDER, "x"));
  } catch {
    return `is not a URL; write an absolute http:// or https:// address such as "https://jira.example.com/browse/{value}"`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `must be an http:// or https:// URL, not ${url.protocol}`;
  if (url.username || url.password) return "must not carry a user name or password";
  return null;
}

/**
 * The link for one reference, or null when the policy has no template for its field (or the value
 * is empty). The value is percent-encoded, so a reference can never change the link's host or path.
 */
export function referenceLink(links: PolicyLinks, field: LinkField, value: unknown): string | null {
  const template = links[field];
  if (!template || (typeof value !== "string" && typeof value !== "number")) return null;
  const text = String(value);
  if (!text) return null;
  return template.replaceAll(PLACEHOLDER, encodeURIComponent(text));
}

/** A context key that names a ticket: `ticket`, `ticket_id`, `change_ticket`, `jira_ticket`, … */
export function isTicketKey(key: string): boolean {
  return /^(?:[a-z0-9]+_)*ticket(?:_id)?$/i.test(key);
}
