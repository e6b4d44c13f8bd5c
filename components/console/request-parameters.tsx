// A request's parameters, whole: what the approval binds (params_hash covers all of it). A command
// — an argv, a shell command, SQL, a diff, a policy document — gets its own block; ticket fields
// become links when the policy has a template; the rest is JSON. Every block wraps (nothing hides
// off to the side), and a block tall enough to scroll is a labelled, focusable region so keyboard
// users can scroll it. All text is rendered as text: nothing an agent wrote is treated as HTML.
import { splitContext, type ContextBlock as Block } from "@/lib/format/request-context";
import { referenceLink } from "@/lib/policy/links";
import type { PolicyLinks } from "@/lib/policy/types";

/**
 * The box every block sits in: wraps (pre-wrap, breaking anywhere), and scrolls vertically past
 * its maximum height — hence focusable, with the block's name, so axe's scrollable-region rule holds.
 */
function CodeBox({ label, testId, tone = "plain", children }: { label: string; testId: string; tone?: "plain" | "diff"; children: React.ReactNode }) {
  return (
    <div
      role="region"
      aria-label={label}
      tabIndex={0}
      data-testid={testId}
      className={`max-h-[32rem] overflow-y-auto rounded-md border border-slate-200 ${tone === "diff" ? "bg-white" : "bg-slate-50"} focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600`}
    >
      <pre className="p-3 font-mono text-xs leading-5 whitespace-pre-wrap text-slate-900 wrap-anywhere">{children}</pre>
    </div>
  );
}

function DiffLines({ text }: { text: string }) {
  return text.split("\n").map((line, i) => {
    const tone = line.startsWith("+") ? "bg-emerald-50 text-emerald-900" : line.startsWith("-") ? "bg-rose-50 text-rose-900" : "";
    return (
      <span key={i} className={`-mx-3 block px-3 ${tone}`}>
        {line || " "}
      </span>
    );
  });
}

function CommandBlock({ block }: { block: Block }) {
  const name = `${block.label} (context.${block.key})`;
  return (
    <figure className="min-w-0">
      <figcaption className="mb-1 flex flex-wrap items-baseline gap-x-2 text-xs text-slate-600">
        <span className="font-medium text-slate-800">{block.label}</span>
        <code className="font-mono">context.{block.key}</code>
      </figcaption>
      <CodeBox label={name} testId={`param-${block.key}`} tone={block.kind === "diff" ? "diff" : "plain"}>
        {block.kind === "diff" ? (
          <DiffLines text={block.text} />
        ) : block.kind === "argv" ? (
          // One span per argument, so a long command breaks between arguments first.
          block.args!.map((arg, i) => (
            <span key={i}>
              {i > 0 && " "}
              <span data-arg={i}>{arg}</span>
            </span>
          ))
        ) : (
          block.text
        )}
      </CodeBox>
    </figure>
  );
}

export function RequestParameters({ context, links }: { context: Record<string, unknown>; links: PolicyLinks }) {
  const { blocks, tickets, rest } = splitContext(context);
  const hasRest = Object.keys(rest).length > 0;
  return (
    <div className="min-w-0 space-y-4">
      {blocks.map((block) => (
        <CommandBlock key={block.key} block={block} />
      ))}
      {tickets.length > 0 && (
        <dl className="space-y-1 text-sm" data-testid="param-tickets">
          {tickets.map(({ key, value }) => {
            const href = referenceLink(links, "ticket", value);
            return (
              <div key={key} className="flex flex-wrap gap-x-2">
                <dt className="font-mono text-xs leading-5 text-slate-600">context.{key}</dt>
                <dd className="font-mono text-xs leading-5 wrap-anywhere">
                  {href ? (
                    <a href={href} target="_blank" rel="noopener noreferrer" className="text-indigo-700 underline hover:text-indigo-900">
                      {value}
                    </a>
                  ) : (
                    value
                  )}
                </dd>
              </div>
            );
          })}
        </dl>
      )}
      {hasRest && (
        <figure className="min-w-0">
          {blocks.length + tickets.length > 0 && (
            <figcaption className="mb-1 text-xs font-medium text-slate-800">Other parameters</figcaption>
          )}
          <CodeBox label="Other parameters (context, JSON)" testId="param-json">
            {JSON.stringify(rest, null, 2)}
          </CodeBox>
        </figure>
      )}
      {Object.keys(context).length === 0 && <p className="text-sm text-slate-500">No parameters given.</p>}
    </div>
  );
}
