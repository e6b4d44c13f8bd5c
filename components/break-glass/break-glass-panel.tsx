// The request page's break-glass panel: the record and its retrospective review once the glass is
// broken, or the "Break glass" action for people the rule lets break it. Who may is the commands'
// own rule (lib/requests/break-glass.ts); the page hiding the form is never the check.
import { Card, Field } from "@/components/console/card";
import { can, type Viewer } from "@/lib/auth/viewer";
import { utcLabel } from "@/lib/format/time";
import { breakGlassBlockedReason, retrospectiveBlockedReason } from "@/lib/requests/break-glass";
import type { RequestView } from "@/lib/requests/schema";
import { BreakGlassBadge } from "./break-glass-badge";
import { BreakGlassForm } from "./break-glass-form";
import { RetrospectiveForm } from "./retrospective-form";

export async function BreakGlassPanel({ request: r, viewer }: { request: RequestView; viewer: Viewer }) {
  const glass = r.break_glass;
  if (glass) {
    const reviewable = glass.review.state === "pending" && can(viewer, "decide") && (await retrospectiveBlockedReason(viewer, r)) === null;
    return (
      <Card title="Break-glass" id="break-glass">
        <div className="space-y-3">
          <BreakGlassBadge glass={glass} />
          <dl className="space-y-2">
            <Field label="Approved alone by">{glass.name}</Field>
            <Field label="Reason" testId="break-glass-reason">
              {glass.reason}
            </Field>
            <Field label="At">{utcLabel(glass.at)}</Field>
            <Field label="Retrospective review" testId="break-glass-review">
              {glass.review.state === "pending"
                ? "Owed: an approver must acknowledge or flag it."
                : `${glass.review.state === "acknowledged" ? "Acknowledged" : "Flagged"} by ${glass.review.name}${glass.review.note ? `: “${glass.review.note}”` : ""}`}
            </Field>
          </dl>
          {reviewable && <RetrospectiveForm requestId={r.id} />}
        </div>
      </Card>
    );
  }
  const groups = r.policy.break_glass_groups;
  if (r.status !== "pending" || !groups || !can(viewer, "decide")) return null;
  if ((await breakGlassBlockedReason(viewer, r)) !== null) return null;
  return <BreakGlassForm requestId={r.id} groups={groups} />;
}
