// Where the one-time link from Slack lands: it says which Slack account would decide as the signed-in
// person and asks them to confirm. Opening it binds nothing (link previews and prefetchers open it
// too); only the Confirm button's server action does.
import type { Metadata } from "next";
import Link from "next/link";
import { Field } from "@/components/console/card";
import { TimeLeft } from "@/components/console/time-left";
import { getViewer } from "@/lib/auth/session";
import { assertCan } from "@/lib/auth/viewer";
import { utcLabel } from "@/lib/format/time";
import { describeSlackLinkCode, slackLinkCode, type SlackLinkCodeStatus } from "@/lib/slack/linking";
import { ConfirmLinkForm } from "./confirm-link-form";

// The code is in this page's URL: never send it on to anyone as a Referer.
export const metadata: Metadata = { title: "Link Slack account", referrer: "no-referrer" };

const AGAIN = "Click Approve or Deny on a Countersign message in Slack again for a new link (each link works once, for 15 minutes).";

function Unusable({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div className="mx-auto max-w-xl">
      <section aria-labelledby="link-title" className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <h1 id="link-title" className="text-lg font-semibold">
          {title}
        </h1>
        <div className="mt-2 space-y-2 text-sm text-slate-600">{children}</div>
        <p className="mt-4 text-sm">
          <Link href="/account" className="font-medium text-indigo-700 underline hover:text-indigo-900">
            Your account and linked Slack accounts
          </Link>
        </p>
      </section>
    </div>
  );
}

function unusable(status: Exclude<SlackLinkCodeStatus, { state: "usable" }>) {
  switch (status.state) {
    case "used":
      return status.linkedToYou ? (
        <Unusable title="Already linked">
          <p>This link was already used, and its Slack account is linked to you. Go back to Slack and click the button again.</p>
        </Unusable>
      ) : (
        <Unusable title="This link was already used">
          <p>Each link works once, and nothing was linked to you now. {AGAIN}</p>
        </Unusable>
      );
    case "expired":
      return (
        <Unusable title="This link has expired">
          <p>Nothing was linked. {AGAIN}</p>
        </Unusable>
      );
    case "unknown":
      return (
        <Unusable title="This link is not valid">
          <p>Countersign does not know this link; check that it was copied whole. {AGAIN}</p>
        </Unusable>
      );
  }
}

export default async function SlackLinkPage({ searchParams }: { searchParams: Promise<{ code?: string | string[] }> }) {
  const viewer = assertCan(await getViewer(), "read");
  const code = slackLinkCode.safeParse((await searchParams).code);
  const status: SlackLinkCodeStatus = code.success ? await describeSlackLinkCode(viewer, code.data) : { state: "unknown" };
  if (status.state !== "usable") return unusable(status);
  const { account, expiresAt, linkedTo } = status;

  return (
    <div className="mx-auto max-w-xl space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Link your Slack account</h1>
        <p className="mt-1 text-sm text-slate-600">
          Slack buttons decide as the Countersign person their Slack account is linked to. Confirm to link this one to you.
        </p>
      </div>

      <section aria-labelledby="account-title" className="space-y-5 rounded-lg border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
        <h2 id="account-title" className="sr-only">
          The Slack account and you
        </h2>
        <dl className="grid gap-4 sm:grid-cols-2">
          <Field label="Slack member ID" testId="slack-user-id">
            <span className="font-mono">{account.userId}</span>
          </Field>
          <Field label="Slack workspace ID" testId="slack-team-id">
            <span className="font-mono">{account.teamId}</span>
          </Field>
          <Field label="Will decide as">
            {viewer.name}
            {viewer.email && <span className="block text-xs text-slate-500">{viewer.email}</span>}
          </Field>
          <Field label="Link expires">
            <span className="block">
              <TimeLeft until={expiresAt.toISOString()} />
            </span>
            <span className="block text-xs text-slate-500">{utcLabel(expiresAt, "minutes")}</span>
          </Field>
        </dl>
        <p className="text-xs text-slate-500">
          Your own member ID is in Slack under your profile → ⋮ → Copy member ID.
        </p>

        <div role="note" className="rounded-md border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950">
          <p className="font-semibold">Only continue if you clicked a button in Slack yourself, just now.</p>
          <p className="mt-1">
            Whoever controls this Slack account will approve and deny requests as you, with your groups, until you unlink it
            from your account page. If someone sent you this link, do not confirm it.
          </p>
        </div>

        {linkedTo === "someone_else" && (
          <p className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700">
            This Slack account is linked to another Countersign person now. Confirming moves it to you.
          </p>
        )}
        {linkedTo === "you" ? (
          <p role="status" className="rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
            This Slack account is already linked to you; there is nothing to confirm.{" "}
            <Link href="/account" className="font-medium underline">
              Your linked accounts
            </Link>
          </p>
        ) : (
          <ConfirmLinkForm code={code.data!} />
        )}
      </section>
    </div>
  );
}
