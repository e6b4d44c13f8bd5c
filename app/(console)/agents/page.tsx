import type { Metadata } from "next";
import { listAgents } from "@/lib/agents/registry";
import { AdminsOnly } from "@/components/console/admins-only";
import { getViewer } from "@/lib/auth/session";
import { assertCan, can } from "@/lib/auth/viewer";
import { utcLabel } from "@/lib/format/time";
import { RegisterAgentForm, RevokeAgentButton, RotateAgentKeyButton } from "./agent-forms";
import { TableScroll } from "@/components/console/table-scroll";

export const metadata: Metadata = { title: "Agents" };


export default async function AgentsPage() {
  const viewer = assertCan(await getViewer(), "read");
  if (!can(viewer, "manage_agents")) {
    return <AdminsOnly what="Registering agents, rotating their keys and revoking them" />;
  }
  const agents = await listAgents(viewer);
  return (
    <div className="space-y-8">
      <section aria-labelledby="register-title" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <h1 id="register-title" className="text-lg font-semibold">Register an agent</h1>
        <p className="mb-4 mt-1 text-sm text-slate-600">
          The owner is accountable for the agent and can never approve its requests.
        </p>
        <RegisterAgentForm />
      </section>
      <section aria-labelledby="agents-title">
        <h2 id="agents-title" className="text-lg font-semibold">Agents</h2>
        {agents.length === 0 ? (
          <p className="mt-3 text-sm text-slate-600">No agents registered yet.</p>
        ) : (
          <TableScroll label="Agents table">
            <table className="min-w-full divide-y divide-slate-200 text-sm">
              <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                <tr>
                  <th scope="col" className="px-4 py-3">Name</th>
                  <th scope="col" className="px-4 py-3">Owner</th>
                  <th scope="col" className="px-4 py-3">Status</th>
                  <th scope="col" className="px-4 py-3">Last used</th>
                  <th scope="col" className="px-4 py-3"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {agents.map((a) => (
                  <tr key={a.id}>
                    <td className="px-4 py-3">
                      <div className="font-medium">{a.name}</div>
                      {a.description && <div className="text-xs text-slate-500">{a.description}</div>}
                    </td>
                    <td className="px-4 py-3 text-slate-700">{a.owner}</td>
                    <td className="px-4 py-3">{a.revokedAt ? <span className="text-rose-700">revoked</span> : "active"}</td>
                    <td className="px-4 py-3 text-slate-600">{a.lastUsedAt ? utcLabel(a.lastUsedAt, "minutes") : "never"}</td>
                    <td className="px-4 py-3 text-right">
                      {!a.revokedAt && (
                        <div className="flex flex-wrap items-start justify-end gap-2">
                          <RotateAgentKeyButton agentId={a.id} name={a.name} />
                          <RevokeAgentButton agentId={a.id} name={a.name} />
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>
    </div>
  );
}
