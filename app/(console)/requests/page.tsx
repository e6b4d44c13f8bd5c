import type { Metadata } from "next";
import Link from "next/link";
import { RiskBadge, StatusBadge } from "@/components/status-badge";
import { getViewer } from "@/lib/auth/session";
import { utc } from "@/lib/format/time";
import { listRecentRequests } from "@/lib/requests/read";

export const metadata: Metadata = { title: "Requests" };

export default async function RequestsPage() {
  const requests = await listRecentRequests(await getViewer(), 100);
  return (
    <section aria-labelledby="requests-title">
      <h1 id="requests-title" className="text-2xl font-semibold tracking-tight">
        Requests
      </h1>
      <p className="mt-1 text-sm text-slate-600">The latest 100 requests in every state.</p>
      {requests.length === 0 ? (
        <div className="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-12 text-center text-sm text-slate-600">
          No requests yet. Agents file them through <code className="font-mono">POST /api/v1/requests</code>.
        </div>
      ) : (
        <div className="mt-6 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
              <tr>
                <th scope="col" className="px-4 py-3">Action</th>
                <th scope="col" className="px-4 py-3">Agent</th>
                <th scope="col" className="px-4 py-3">Env</th>
                <th scope="col" className="px-4 py-3">Risk</th>
                <th scope="col" className="px-4 py-3">Approvals</th>
                <th scope="col" className="px-4 py-3">Status</th>
                <th scope="col" className="px-4 py-3">Filed (UTC)</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {requests.map((r) => (
                <tr key={r.id} className="align-top hover:bg-slate-50">
                  <td className="px-4 py-3">
                    <Link href={`/requests/${r.id}`} className="font-mono text-xs font-semibold text-indigo-700 hover:underline">
                      {r.action}
                    </Link>
                    <div className="mt-1 max-w-md truncate text-slate-600">{r.intent}</div>
                  </td>
                  <td className="px-4 py-3 text-slate-700">{r.agent.name}</td>
                  <td className="px-4 py-3 text-slate-700">{r.environment}</td>
                  <td className="px-4 py-3">
                    <RiskBadge level={r.risk.level} score={r.risk.score} />
                  </td>
                  <td className="px-4 py-3 text-slate-700">
                    {r.approvals.required === 0 ? "—" : `${r.approvals.count} of ${r.approvals.required}`}
                  </td>
                  <td className="px-4 py-3">
                    <StatusBadge status={r.status} />
                  </td>
                  <td className="whitespace-nowrap px-4 py-3 text-slate-500">
                    <time dateTime={r.created_at}>{utc(r.created_at, "minutes")}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
