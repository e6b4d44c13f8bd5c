// GitHub identity at sign-in: the verified primary e-mail and the user's org teams, named
// `github:org/team` so the policy file can map them to roles and approver groups.
export type GitHubIdentity = { login: string; name: string; email: string | null; groups: string[] };

type Fetch = typeof fetch;

async function getJson<T>(f: Fetch, url: string, token: string): Promise<T> {
  const res = await f(url, {
    headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json", "user-agent": "countersign" },
  });
  if (!res.ok) throw new Error(`GitHub API ${new URL(url).pathname} answered ${res.status}`);
  return (await res.json()) as T;
}

export async function fetchGitHubIdentity(
  accessToken: string,
  opts: { apiUrl: string; orgs?: string[]; fetch?: Fetch },
): Promise<GitHubIdentity> {
  const f = opts.fetch ?? fetch;
  const api = opts.apiUrl.replace(/\/$/, "");
  const user = await getJson<{ login: string; name: string | null; email: string | null }>(f, `${api}/user`, accessToken);
  let email = user.email;
  if (!email) {
    const emails = await getJson<{ email: string; primary: boolean; verified: boolean }[]>(f, `${api}/user/emails`, accessToken);
    email = emails.find((e) => e.primary && e.verified)?.email ?? emails.find((e) => e.verified)?.email ?? null;
  }
  const groups: string[] = [];
  for (let page = 1; page <= 10; page++) {
    const teams = await getJson<{ slug: string; organization: { login: string } }[]>(
      f,
      `${api}/user/teams?per_page=100&page=${page}`,
      accessToken,
    );
    for (const t of teams) {
      const org = t.organization.login.toLowerCase();
      if (!opts.orgs?.length || opts.orgs.includes(org)) groups.push(`github:${org}/${t.slug.toLowerCase()}`);
    }
    if (teams.length < 100) break;
  }
  return { login: user.login, name: user.name ?? user.login, email: email?.toLowerCase() ?? null, groups: [...new Set(groups)].sort() };
}
