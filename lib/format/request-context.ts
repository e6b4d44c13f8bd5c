// A request's context as the request page lays it out: the command it carries (an argv, a shell
// command, SQL, a diff, a policy document) as separate blocks, its ticket references, and the rest.
// Pure: the page renders what this returns, and every key of the context lands in exactly one part.
import { isTicketKey } from "@/lib/policy/links";
import { isArgv, shellQuote } from "./shell-quote";

/** One command block: its context key, a label for people, how to show it, and its text. */
export type ContextBlock = { key: string; label: string; kind: "argv" | "code" | "diff"; text: string; args?: string[] };

const CODE_LABELS: Record<string, string> = {
  command: "Command",
  sql: "SQL",
  query: "Query",
  policy: "Policy document",
};

const isDiffKey = (key: string) => key === "diff" || key === "patch" || key.endsWith("_diff");

/** A string as written; anything else as pretty JSON. */
const textOf = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value, null, 2));

/** Splits the context into its command blocks, its ticket references and the rest. */
export function splitContext(context: Record<string, unknown>): {
  blocks: ContextBlock[];
  tickets: { key: string; value: string }[];
  rest: Record<string, unknown>;
} {
  const blocks: ContextBlock[] = [];
  const tickets: { key: string; value: string }[] = [];
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (key === "argv" && isArgv(value)) {
      const args = value.map(shellQuote);
      blocks.push({ key, label: "Command line (argv)", kind: "argv", text: args.join(" "), args });
    } else if (isDiffKey(key) && value !== null && value !== undefined) {
      blocks.push({ key, label: key === "diff" ? "Diff" : key, kind: "diff", text: textOf(value) });
    } else if (Object.hasOwn(CODE_LABELS, key) && value !== null && value !== undefined) {
      blocks.push({ key, label: CODE_LABELS[key]!, kind: "code", text: textOf(value) });
    } else if (isTicketKey(key) && (typeof value === "string" || typeof value === "number")) {
      tickets.push({ key, value: String(value) });
    } else {
      rest[key] = value;
    }
  }
  return { blocks, tickets, rest };
}
