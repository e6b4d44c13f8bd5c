// "Chain verified up to #N": what the last verification pass of the hash chain found.
import type { ChainStatus } from "@/lib/audit/chain-status";

const TONE = {
  verified: { box: "bg-emerald-50 text-emerald-800 ring-emerald-200", dot: "bg-emerald-600" },
  verifying: { box: "bg-amber-50 text-amber-800 ring-amber-200", dot: "bg-amber-500 animate-pulse" },
  broken: { box: "bg-rose-50 text-rose-800 ring-rose-200", dot: "bg-rose-700" },
} as const;

function describe(status: ChainStatus): { text: string; detail: string } {
  switch (status.state) {
    case "verifying":
      return { text: "Verifying chain…", detail: "The hash chain is being checked; reload to see the result." };
    case "broken":
      return {
        text: `Chain broken at #${status.broken.seq}: ${status.broken.reason}`,
        detail: `Found by the check at ${status.at}. Run \`countersign audit verify\` for the full report.`,
      };
    case "verified":
      return status.head
        ? {
            text: `Chain verified up to #${status.head.seq}`,
            detail: `Head hash ${status.head.hash}, checked at ${status.at}.${status.unsealed ? ` ${status.unsealed} newer events awaiting the sealer.` : ""}`,
          }
        : { text: "Chain verified: no sealed events yet", detail: `Checked at ${status.at}.` };
  }
}

export function ChainStatusBadge({ status }: { status: ChainStatus }) {
  const tone = TONE[status.state];
  const { text, detail } = describe(status);
  return (
    <p
      data-testid="chain-status"
      data-state={status.state}
      title={detail}
      className={`inline-flex max-w-full items-center gap-2 rounded-full px-3 py-1 text-sm font-medium ring-1 ring-inset ${tone.box}`}
    >
      <span aria-hidden className={`size-2 shrink-0 rounded-full ${tone.dot}`} />
      <span className="truncate">{text}</span>
      {status.state === "verified" && status.unsealed > 0 && (
        <span className="shrink-0 font-normal text-emerald-700">· {status.unsealed} sealing</span>
      )}
    </p>
  );
}
