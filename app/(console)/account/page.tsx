// The signed-in person's own account: the identities they sign in with (all of them count as one
// person) and the Slack accounts whose clicks decide as them, each with an Unlink button.
import type { Metadata } from "next";
import { Field } from "@/components/console/card";
import { Pill } from "@/components/status-badge";
import { accountOf } from "@/lib/auth/account";
import { getViewer } from "@/lib/auth/session";
import { assertCan } from "@/lib/auth/viewer";
import { utcLabel } from "@/lib/format/time";
import { UnlinkSlackButton } from "./unlink-slack-button";

export const metadata: Metadata = { title: "Account" };

const PROVIDERS: Record<string, string> = { okta: "Okta", github: "GitHub", dev: "Development sign-in" };

export default async function AccountPage() {
  const viewer = assertCan(await getViewer(), "read");
  const { identities, slackAccounts } = await accountOf(viewer);

  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Your account</h1>
        <p className="mt-1 text-sm text-slate-600">
          {viewer.name} · {viewer.roles.join(", ") || "no role"}
        </p>
      </div>

      <section aria-labelledby="identities-title">
        <h2 id="identities-title" className="text-lg font-semibold">
          Sign-in identities
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          The identity-provider accounts that are you. They count as one person: one vote per request, and the same
          self-approval exclusions.
        </p>
        <ul className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
          {identities.map((identity) => (
            <li key={identity.id} className="p-4 sm:p-5" data-testid="identity">
              <div className="flex flex-wrap items-center gap-2">
                <h3 className="font-medium">{PROVIDERS[identity.idp] ?? identity.idp}</h3>
                {identity.current && <Pill tone="sky">This session</Pill>}
              </div>
              <dl className="mt-3 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
                <Field label="Issuer">
                  <span className="break-all font-mono text-xs">{identity.issuer}</span>
                </Field>
                <Field label="Login / e-mail">
                  {identity.login && <span className="block">{identity.login}</span>}
                  {identity.email && identity.email !== identity.login && <span className="block">{identity.email}</span>}
                  {!identity.login && !identity.email && <span className="text-slate-500">—</span>}
                  {identity.email && (
                    <span className="block text-xs text-slate-500">{identity.emailVerified ? "e-mail verified" : "e-mail not verified"}</span>
                  )}
                </Field>
                <Field label="Groups">
                  {identity.groups.length > 0 ? identity.groups.join(", ") : <span className="text-slate-500">none</span>}
                  {identity.groupsConfirmedAt && (
                    <span className="block text-xs text-slate-500">confirmed {utcLabel(identity.groupsConfirmedAt, "minutes")}</span>
                  )}
                </Field>
                <Field label="Last sign-in">
                  {identity.lastSignInAt ? utcLabel(identity.lastSignInAt, "minutes") : <span className="text-slate-500">never</span>}
                </Field>
              </dl>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="slack-title">
        <h2 id="slack-title" className="text-lg font-semibold">
          Linked Slack accounts
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Approve and Deny clicks in Slack from these accounts are your decisions, checked against your groups at the time of
          the click. To link an account, click a button on a Countersign message in Slack and open the private link it sends
          you.
        </p>
        {slackAccounts.length === 0 ? (
          <p className="mt-3 rounded-lg border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-600">
            No Slack account is linked to you.
          </p>
        ) : (
          <ul className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
            {slackAccounts.map((account) => (
              <li
                key={`${account.teamId}/${account.userId}`}
                data-testid="slack-account"
                className="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:justify-between sm:p-5"
              >
                <dl className="grid flex-1 grid-cols-2 gap-4 sm:grid-cols-3">
                  <Field label="Slack member ID">
                    <span className="font-mono">{account.userId}</span>
                  </Field>
                  <Field label="Workspace ID">
                    <span className="font-mono">{account.teamId}</span>
                  </Field>
                  <Field label="Linked">{utcLabel(account.linkedAt, "minutes")}</Field>
                </dl>
                <UnlinkSlackButton teamId={account.teamId} userId={account.userId} />
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
