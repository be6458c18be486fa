/**
 * The few endpoints of GitHub's REST API that `.github/scripts/github-api.sh` calls, on 127.0.0.1 and a free
 * port, backed by plain objects a test sets and reads: the Pages site, a workflow's runs, the issues.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  state_reason?: string;
  user: { login: string };
  comments: string[];
  pull_request?: object;
}

export interface FakeGitHub {
  /** `GITHUB_API_URL` for the script. */
  url: string;
  repository: string;
  token: string;
  /** What `GET /repos/{repo}/pages` answers (404 when undefined). */
  pages: Record<string, unknown> | undefined;
  runs: { id: number; status: string }[];
  issues: FakeIssue[];
  /** Every request, as `METHOD path`, and whether it carried the token. */
  requests: { line: string; authorised: boolean }[];
  close(): Promise<void>;
}

const BOT = 'github-actions[bot]';

async function bodyOf(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
}

export async function startFakeGitHub(repository = 'acme/contacts'): Promise<FakeGitHub> {
  const token = 'ghs_fake-job-token';
  const state: Omit<FakeGitHub, 'url' | 'close'> = {
    repository,
    token,
    pages: { public: false },
    runs: [],
    issues: [],
    requests: [],
  };
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const authorised = request.headers.authorization === `Bearer ${token}`;
    state.requests.push({ line: `${request.method} ${url.pathname}${url.search}`, authorised });
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    if (!authorised) return send(401, { message: 'Bad credentials' });
    const base = `/repos/${repository}`;
    const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : '';
    const issue = /^\/issues\/(\d+)(\/comments)?$/.exec(path);
    const found = issue && state.issues.find((each) => each.number === Number(issue[1]));

    if (request.method === 'GET' && path === '/pages') {
      return state.pages ? send(200, state.pages) : send(404, { message: 'Not Found' });
    }
    if (request.method === 'GET' && /^\/actions\/workflows\/[^/]+\/runs$/.test(path)) {
      return send(200, { total_count: state.runs.length, workflow_runs: state.runs });
    }
    if (request.method === 'GET' && path === '/issues') {
      const open = state.issues.filter(
        (each) =>
          (url.searchParams.get('state') ?? 'open') === each.state &&
          (!url.searchParams.get('creator') || url.searchParams.get('creator') === each.user.login),
      );
      return send(200, open);
    }
    if (request.method === 'POST' && path === '/issues') {
      const { title, body } = await bodyOf(request);
      const created: FakeIssue = {
        number: state.issues.length + 1,
        title: String(title),
        body: String(body),
        state: 'open',
        user: { login: BOT },
        comments: [],
      };
      state.issues.push(created);
      return send(201, created);
    }
    if (found && request.method === 'PATCH' && !issue[2]) {
      Object.assign(found, await bodyOf(request));
      return send(200, found);
    }
    if (found && request.method === 'POST' && issue[2]) {
      found.comments.push(String((await bodyOf(request)).body));
      return send(201, {});
    }
    return send(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
