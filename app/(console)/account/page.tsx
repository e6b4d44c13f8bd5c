// The signed-in person's own account: the identities they sign in with (all of them count as one
// person), the Slack accounts whose clicks decide as them, each with an Unlink button, and their
// personal tokens for the reviewer API and CLI.
import type { Metadata } from "next";
import { Field } from "@/components/console/card";
import { Pill } from "@/components/status-badge";
import { accountOf } from "@/lib/auth/account";
import { DEFAULT_TOKEN_LIFETIME_DAYS, listReviewerTokens, TOKEN_LIFETIME_DAYS } from "@/lib/auth/reviewer-tokens";
import { getViewer } from "@/lib/auth/session";
import { assertCan, can } from "@/lib/auth/viewer";
import { utcLabel } from "@/lib/format/time";
import { CreateReviewerTokenForm, RevokeReviewerTokenButton } from "./reviewer-token-forms";
import { UnlinkSlackButton } from "./unlink-slack-button";
import { TableScroll } from "@/components/console/table-scroll";

export const metadata: Metadata = { title: "Account" };

const PROVIDERS: Record<string, string> = { okta: "Okta", github: "GitHub", dev: "Development sign-in" };

export default async function AccountPage() {
  const viewer = assertCan(await getViewer(), "read");
  const [{ identities, slackAccounts }, tokens] = await Promise.all([accountOf(viewer), listReviewerTokens(viewer)]);

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

      <section aria-labelledby="tokens-title">
        <h2 id="tokens-title" className="text-lg font-semibold">
          Personal tokens
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          For the reviewer API and <code className="font-mono">countersign review</code> in a terminal. A token acts as you, with
          your groups checked at each use, under the same rules as this console; it cannot approve requests that need a fresh
          sign-in (step-up). Shown once when created; revoke it here when you no longer need it.
        </p>
        <div className="mt-3 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
          <CreateReviewerTokenForm lifetimes={TOKEN_LIFETIME_DAYS} defaultLifetime={DEFAULT_TOKEN_LIFETIME_DAYS} canDecide={can(viewer, "decide")} />
        </div>
        {tokens.length === 0 ? (
          <p className="mt-3 rounded-lg border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-600">
            You have no personal tokens.
          </p>
        ) : (
          <TableScroll label="Personal tokens table">
            <table className="min-w-full divide-y divide-slate-200 text-sm" aria-labelledby="tokens-title">
              <thead className="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                <tr>
                  <th scope="col" className="px-4 py-3">Name</th>
                  <th scope="col" className="px-4 py-3">Token</th>
                  <th scope="col" className="px-4 py-3">Scopes</th>
                  <th scope="col" className="px-4 py-3">Created</th>
                  <th scope="col" className="px-4 py-3">Expires</th>
                  <th scope="col" className="px-4 py-3">Last used</th>
                  <th scope="col" className="px-4 py-3">
                    <span className="sr-only">Status and actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {tokens.map((t) => (
                  <tr key={t.id} data-testid="reviewer-token" data-token-state={t.state}>
                    <td className="px-4 py-3 font-medium">{t.name}</td>
                    <td className="px-4 py-3 font-mono text-xs">{t.display}</td>
                    <td className="px-4 py-3">{t.scopes.join(", ")}</td>
                    <td className="px-4 py-3 text-slate-600">{utcLabel(t.createdAt, "minutes")}</td>
                    <td className="px-4 py-3 text-slate-600">{utcLabel(t.expiresAt, "minutes")}</td>
                    <td className="px-4 py-3 text-slate-600">{t.lastUsedAt ? utcLabel(t.lastUsedAt, "minutes") : "never"}</td>
                    <td className="px-4 py-3 text-right">
                      {t.state === "active" ? (
                        <RevokeReviewerTokenButton tokenId={t.id} name={t.name} />
                      ) : (
                        <Pill tone={t.state === "revoked" ? "rose" : "slate"}>{t.state}</Pill>
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
