// What the account page shows a person about themselves: the identities they sign in with and the
// Slack accounts that decide as them. Only the viewer's own person, and only fields safe to show
// (never the sealed provider credential an identity row holds).
import { slackAccountsOf, type SlackAccount } from "@/lib/slack/linking";
import { identitiesOf } from "./people";
import type { Viewer } from "./viewer";

export type AccountIdentity = {
  id: string;
  idp: string;
  issuer: string;
  login: string | null;
  email: string | null;
  emailVerified: boolean;
  name: string;
  /** Groups as last confirmed by the provider (what decisions use, confirmed again when stale). */
  groups: string[];
  groupsConfirmedAt: Date | null;
  lastSignInAt: Date | null;
  /** The identity this browser session signed in with. */
  current: boolean;
};

export type Account = {
  identities: AccountIdentity[];
  slackAccounts: (SlackAccount & { linkedAt: Date })[];
};

export async function accountOf(viewer: Viewer): Promise<Account> {
  const [identities, slackAccounts] = await Promise.all([identitiesOf(viewer.personId), slackAccountsOf(viewer)]);
  return {
    identities: identities.map((i) => ({
      id: i.id,
      idp: i.idp,
      issuer: i.issuer,
      login: i.login,
      email: i.email,
      emailVerified: i.emailVerified,
      name: i.name,
      groups: i.groups,
      groupsConfirmedAt: i.groupsConfirmedAt,
      lastSignInAt: i.lastSignInAt,
      current: i.id === viewer.identityId,
    })),
    slackAccounts: [...slackAccounts].sort((a, b) => b.linkedAt.getTime() - a.linkedAt.getTime()),
  };
}
