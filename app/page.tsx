import { connection } from "next/server";
import { RiskBadge, StatusBadge } from "@/components/status-badge";
import { listRecentRequests } from "@/lib/requests/lifecycle";

export default async function RequestsOverview() {
  await connection();
  const requests = await listRecentRequests(100);
  return (
    <section>
      <div className="mb-6 flex items-end justify-between">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Requests</h1>
          <p className="mt-1 text-sm text-slate-600">
            The latest privileged actions agents asked to perform, and what became of them.
          </p>
        </div>
      </div>
      {requests.length === 0 ? (
        <div className="rounded-lg border border-dashed border-slate-300 bg-white p-10 text-center text-sm text-slate-600">
          No requests yet. Register an agent with <code className="font-mono">npm run countersign -- agents create</code>{" "}
          and file one through <code className="font-mono">POST /api/v1/requests</code>.
        </div>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
              <tr>
                <th scope="col" className="px-4 py-3">Action</th>
                <th scope="col" className="px-4 py-3">Agent</th>
                <th scope="col" className="px-4 py-3">Environment</th>
                <th scope="col" className="px-4 py-3">Risk</th>
                <th scope="col" className="px-4 py-3">Approvals</th>
                <th scope="col" className="px-4 py-3">Status</th>
                <th scope="col" className="px-4 py-3">Filed</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {requests.map((r) => (
                <tr key={r.id} className="align-top">
                  <td className="px-4 py-3">
                    <div className="font-mono text-xs font-semibold">{r.action}</div>
                    <div className="mt-1 max-w-md text-slate-600">{r.intent}</div>
                  </td>
                  <td className="px-4 py-3 text-slate-700">{r.agent.name}</td>
                  <td className="px-4 py-3 text-slate-700">{r.environment}</td>
                  <td className="px-4 py-3"><RiskBadge level={r.risk.level} score={r.risk.score} /></td>
                  <td className="px-4 py-3 text-slate-700">
                    {r.approvals.required === 0 ? "auto" : `${r.approvals.count} of ${r.approvals.required}`}
                  </td>
                  <td className="px-4 py-3"><StatusBadge status={r.status} /></td>
                  <td className="px-4 py-3 whitespace-nowrap text-slate-500">
                    <time dateTime={r.created_at}>{new Date(r.created_at).toUTCString().slice(5, 22)} UTC</time>
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
