import type { Metadata } from "next";
import { getViewer } from "@/lib/auth/session";
import { assertCan } from "@/lib/auth/viewer";
import { getActivePolicy } from "@/lib/policy/load";
import { TableScroll } from "@/components/console/table-scroll";

export const metadata: Metadata = { title: "Policy" };

const duration = (s: number) => (s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);

export default async function PolicyPage() {
  assertCan(await getViewer(), "read");
  const policy = await getActivePolicy();
  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Active policy</h1>
        <p className="mt-1 text-sm text-slate-600">
          <span className="font-mono">{policy.source}</span> · hash{" "}
          <code className="break-all font-mono text-xs" data-testid="policy-hash">{policy.hash}</code>
        </p>
      </div>
      <section aria-labelledby="who-title">
        <h2 id="who-title" className="text-lg font-semibold">Who can approve what</h2>
        <p className="mt-1 text-sm text-slate-600">Rules are evaluated top to bottom; the first match decides.</p>
        <TableScroll label="Policy rules table">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
              <tr>
                <th scope="col" className="px-4 py-3">#</th>
                <th scope="col" className="px-4 py-3">Rule</th>
                <th scope="col" className="px-4 py-3">Matches</th>
                <th scope="col" className="px-4 py-3">Decision</th>
                <th scope="col" className="px-4 py-3">Approvers (IdP groups)</th>
                <th scope="col" className="px-4 py-3">Deadline / grant</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {policy.rules.map((rule, i) => (
                <tr key={rule.name} className="align-top">
                  <td className="px-4 py-3 text-slate-500">{i + 1}</td>
                  <td className="px-4 py-3">
                    <div className="font-medium">{rule.name}</div>
                    {rule.description && <div className="text-xs text-slate-500">{rule.description}</div>}
                  </td>
                  <td className="px-4 py-3 font-mono text-xs">
                    {rule.match.action} · {rule.match.environments.join(", ")} · {rule.match.resource}
                  </td>
                  <td className="px-4 py-3">
                    {rule.decision === "require_approval"
                      ? `${rule.approvals} approval${rule.approvals === 1 ? "" : "s"} (risk ${rule.risk})`
                      : `${rule.decision.replace("_", " ")} (risk ${rule.risk})`}
                  </td>
                  <td className="px-4 py-3">
                    {rule.approvers.length === 0
                      ? "—"
                      : rule.approvers.map((g) => (
                          <div key={g}>
                            <span className="font-medium">{g}</span>{" "}
                            <span className="text-xs text-slate-500">({(policy.approverGroups[g] ?? []).join(", ")})</span>
                          </div>
                        ))}
                  </td>
                  <td className="px-4 py-3 text-slate-600">
                    {rule.decision === "require_approval" ? duration(rule.decisionDeadlineSeconds) : "—"} /{" "}
                    {rule.decision === "deny" ? "—" : duration(rule.grantWindowSeconds)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </section>
      <section aria-labelledby="roles-title">
        <h2 id="roles-title" className="text-lg font-semibold">Console roles</h2>
        <dl className="mt-3 grid gap-3 sm:grid-cols-3">
          {Object.entries(policy.roles).map(([role, groups]) => (
            <div key={role} className="rounded-lg border border-slate-200 bg-white p-4">
              <dt className="font-medium capitalize">{role}</dt>
              <dd className="mt-1 text-sm text-slate-600">{groups.join(", ") || "—"}</dd>
            </div>
          ))}
        </dl>
      </section>
    </div>
  );
}
