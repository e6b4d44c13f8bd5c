import type { Metadata } from "next";
import { AdminsOnly } from "@/components/console/admins-only";
import { getViewer } from "@/lib/auth/session";
import { assertCan, can } from "@/lib/auth/viewer";
import { listPeople } from "@/lib/auth/people";
import { utcLabel } from "@/lib/format/time";
import { EndSessionsButton, LinkPeopleForm } from "./people-forms";

export const metadata: Metadata = { title: "People" };

export default async function PeoplePage() {
  const viewer = assertCan(await getViewer(), "read");
  if (!can(viewer, "manage_people")) {
    return <AdminsOnly what="Managing people and their sessions" />;
  }
  const people = await listPeople(viewer);
  const label = (p: (typeof people)[number]) => `${p.name} — ${p.identities.map((i) => i.email ?? i.login ?? i.subject).join(", ")}`;
  return (
    <div className="space-y-8">
      <section aria-labelledby="people-title">
        <h1 id="people-title" className="text-2xl font-semibold tracking-tight">People</h1>
        <p className="mt-1 text-sm text-slate-600">
          A person is who counts once: one vote towards a quorum, and every e-mail of every identity excluded from approving
          their own requests. Identities with the same verified e-mail are linked automatically.
        </p>
        {people.length === 0 ? (
          <p className="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-12 text-center text-sm text-slate-600">Nobody has signed in yet.</p>
        ) : (
          <ul className="mt-4 space-y-3">
            {people.map((p) => (
              <li key={p.personId} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="person">
                <div className="flex flex-wrap items-start justify-between gap-3">
                  <div className="min-w-0">
                    <h2 className="font-medium">{p.name}</h2>
                    <p className="text-xs text-slate-500">
                      {p.openSessions} open session{p.openSessions === 1 ? "" : "s"} · person {p.personId.slice(0, 8)}
                    </p>
                  </div>
                  <EndSessionsButton personId={p.personId} name={p.name} openSessions={p.openSessions} />
                </div>
                <ul className="mt-3 space-y-1 text-sm">
                  {p.identities.map((i) => (
                    <li key={i.id} className="break-words text-slate-700">
                      <span className="font-medium">{i.idp}</span> {i.email ?? i.login ?? i.subject}
                      {i.email && !i.emailVerified && <span className="text-amber-700"> (e-mail not verified)</span>}
                      <span className="text-slate-500"> · {i.groups.join(", ") || "no groups"} · last sign-in {i.lastSignInAt ? utcLabel(i.lastSignInAt, "minutes") : "never"}</span>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        )}
      </section>
      {people.length > 1 && (
        <section aria-labelledby="link-title" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
          <h2 id="link-title" className="text-lg font-semibold">Link two identities of one person</h2>
          <p className="mb-4 mt-1 text-sm text-slate-600">
            For someone who signs in through two providers with different e-mails. Audited; it cannot be undone from here.
          </p>
          <LinkPeopleForm people={people.map((p) => ({ personId: p.personId, label: label(p) }))} />
        </section>
      )}
    </div>
  );
}
