// GitHub identity at sign-in (and when groups are confirmed again later): the numeric user id (the
// subject), the *verified primary* e-mail (a public profile e-mail is not proof of anything), the
// orgs the person is an active member of, and their teams, named `github:org/team` so the policy
// file can map them to roles and approver groups. With `orgs` set, only those orgs count.
export type GitHubIdentity = {
  id: string;
  login: string;
  name: string;
  email: string | null;
  /** Active memberships among the configured orgs (all active memberships when none are configured). */
  orgs: string[];
  groups: string[];
};

type Fetch = typeof fetch;

async function getJson<T>(f: Fetch, url: string, token: string): Promise<T> {
  const res = await f(url, {
    headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json", "user-agent": "countersign" },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`GitHub API ${new URL(url).pathname} answered ${res.status}`);
  return (await res.json()) as T;
}

async function pages<T>(f: Fetch, url: string, token: string): Promise<T[]> {
  const all: T[] = [];
  for (let page = 1; page <= 10; page++) {
    const batch = await getJson<T[]>(f, `${url}${url.includes("?") ? "&" : "?"}per_page=100&page=${page}`, token);
    all.push(...batch);
    if (batch.length < 100) break;
  }
  return all;
}

export async function fetchGitHubIdentity(
  accessToken: string,
  opts: { apiUrl: string; orgs?: string[]; fetch?: Fetch },
): Promise<GitHubIdentity> {
  const f = opts.fetch ?? fetch;
  const api = opts.apiUrl.replace(/\/$/, "");
  const wanted = (org: string) => !opts.orgs?.length || opts.orgs.includes(org);
  const user = await getJson<{ id: number; login: string; name: string | null }>(f, `${api}/user`, accessToken);
  const emails = await getJson<{ email: string; primary: boolean; verified: boolean }[]>(f, `${api}/user/emails`, accessToken);
  const email = emails.find((e) => e.primary && e.verified)?.email ?? null;
  const memberships = await pages<{ state: string; organization: { login: string } }>(f, `${api}/user/memberships/orgs?state=active`, accessToken);
  const orgs = [...new Set(memberships.filter((m) => m.state === "active").map((m) => m.organization.login.toLowerCase()).filter(wanted))].sort();
  const teams = await pages<{ slug: string; organization: { login: string } }>(f, `${api}/user/teams`, accessToken);
  const groups = teams
    .map((t) => ({ org: t.organization.login.toLowerCase(), slug: t.slug.toLowerCase() }))
    .filter((t) => wanted(t.org) && orgs.includes(t.org))
    .map((t) => `github:${t.org}/${t.slug}`);
  return { id: String(user.id), login: user.login, name: user.name ?? user.login, email: email?.toLowerCase() ?? null, orgs, groups: [...new Set(groups)].sort() };
}
