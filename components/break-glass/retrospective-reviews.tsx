// The inbox's "Retrospective reviews": break-glass approvals nobody has reviewed yet, with
// Acknowledge / Flag for the approvers who may review them.
import Link from "next/link";
import type { Viewer } from "@/lib/auth/viewer";
import { utcLabel } from "@/lib/format/time";
import { listRetrospectiveReviews } from "@/lib/requests/break-glass";
import { BreakGlassBadge } from "./break-glass-badge";
import { RetrospectiveForm } from "./retrospective-form";

export async function RetrospectiveReviews({ viewer }: { viewer: Viewer }) {
  const items = await listRetrospectiveReviews(viewer);
  if (items.length === 0) return null;
  return (
    <section aria-labelledby="retrospective-title" className="mb-8" data-testid="retrospective-reviews">
      <h2 id="retrospective-title" className="text-lg font-semibold tracking-tight">
        Retrospective reviews
      </h2>
      <p className="mt-1 text-sm text-slate-600">Approved alone through break-glass; an approver acknowledges or flags each one.</p>
      <ul className="mt-3 divide-y divide-slate-200 overflow-hidden rounded-lg border border-rose-200 bg-white shadow-sm">
        {items.map((r) => (
          <li key={r.id} className="px-4 py-4" data-testid="retrospective-item" data-request-id={r.id}>
            <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
              <Link href={`/requests/${r.id}`} className="font-mono text-sm font-semibold text-slate-900 hover:underline">
                {r.action}
              </Link>
              <BreakGlassBadge glass={r.break_glass} />
              <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">{r.environment}</span>
            </div>
            <p className="mt-1 text-sm text-slate-700">
              {r.break_glass?.name}, {utcLabel(r.break_glass!.at)}: “{r.break_glass?.reason}”
            </p>
            <div className="mt-3 max-w-xl">
              {r.reviewable ? (
                <RetrospectiveForm requestId={r.id} />
              ) : (
                <p className="text-xs text-slate-500" data-testid="retrospective-blocked">
                  {r.blockedReason}
                </p>
              )}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
