// The flag a break-glass approval carries for ever, wherever the request is shown.
import type { RequestView } from "@/lib/requests/schema";

export function BreakGlassBadge({ glass }: { glass: RequestView["break_glass"] }) {
  if (!glass) return null;
  return (
    <span
      data-testid="break-glass-badge"
      title={`Approved alone by ${glass.name} through break-glass; review ${glass.review.state}`}
      className="inline-flex items-center gap-1 rounded-full bg-rose-100 px-2 py-0.5 text-xs font-semibold text-rose-800 ring-1 ring-inset ring-rose-300"
    >
      <span aria-hidden>🚨</span> Break-glass
    </span>
  );
}
