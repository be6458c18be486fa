/**
 * A stand-in for oauth2-proxy (https://oauth2-proxy.github.io/oauth2-proxy/) and the identity provider behind
 * it, for the SSO tests of `deploy/nginx.conf` and `deploy/Caddyfile`. It implements the endpoints those
 * files' integrations use, as oauth2-proxy documents them when run with `--reverse-proxy --set-xauthrequest`:
 *
 * - `GET /oauth2/auth`: 202 with `X-Auth-Request-User` and `X-Auth-Request-Email` when the request carries
 *   a valid session cookie, 401 otherwise (the web server's auth_request / forward_auth hook);
 * - `GET /oauth2/sign_in?rd=…`: 302 to the identity provider's sign-in page (`--skip-provider-button`);
 * - `GET /oauth2/callback?code=…&state=…`: checks the code, sets the session cookie, 302 to the `rd` it was
 *   given, only when that is on the host the browser came through (oauth2-proxy's redirect check).
 *
 * The web server must pass `Host` or `X-Forwarded-Host` and `X-Forwarded-Proto` on `/oauth2/*` (as
 * `--reverse-proxy` requires): without them sign-in fails with 400, so a configuration that forgets them
 * fails the test. The provider runs on a port (an origin) of its own, as a real one would.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SESSION_COOKIE = '_oauth2_proxy';

export interface OAuth2ProxyStandIn {
  /** `127.0.0.1:<port>`: what the web server's configuration proxies to, in place of `127.0.0.1:4180`. */
  upstream: string;
  /** The identity provider's origin, e.g. `http://127.0.0.1:41234`. */
  providerUrl: string;
  /** Every request the proxy received, as `METHOD path` (its query included), in order. */
  requests: string[];
  /** The user the provider signs in. */
  user: { name: string; email: string };
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function cookieOf(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function send(response: ServerResponse, status: number, headers: Record<string, string> = {}, body = '') {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  response.end(body);
}

export async function startOAuth2ProxyStandIn(): Promise<OAuth2ProxyStandIn> {
  const user = { name: 'ada', email: 'ada@example.test' };
  const sessions = new Set<string>();
  /** Codes the provider issued, each for the callback URL it was asked to return to. */
  const codes = new Map<string, string>();
  const requests: string[] = [];

  const provider = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://provider');
    const redirectUri = url.searchParams.get('redirect_uri') ?? '';
    const state = url.searchParams.get('state') ?? '';
    if (url.pathname === '/authorize' && request.method === 'GET') {
      // The provider's sign-in page: one button, as a real provider shows after its password prompt.
      const query = new URLSearchParams({ redirect_uri: redirectUri, state });
      send(
        response,
        200,
        { 'content-type': 'text/html; charset=utf-8' },
        `<!doctype html><title>Sign in to Example IdP</title><form method="post" action="/approve?${escapeHtml(query.toString())}"><button>Sign in as ${user.name}</button></form>`,
      );
    } else if (url.pathname === '/approve' && request.method === 'POST') {
      const code = randomBytes(12).toString('hex');
      codes.set(code, redirectUri);
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', state);
      send(response, 302, { location: back.href });
    } else send(response, 404, {}, 'not found');
  });
  const providerUrl = `http://127.0.0.1:${await listen(provider)}`;

  const proxy = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const url = new URL(request.url ?? '/', 'http://proxy');
    const host = request.headers['x-forwarded-host'] ?? request.headers.host;
    const proto = request.headers['x-forwarded-proto'];
    const origin = typeof host === 'string' && typeof proto === 'string' ? `${proto}://${host}` : undefined;

    if (url.pathname === '/oauth2/auth') {
      const session = cookieOf(request, SESSION_COOKIE);
      if (session && sessions.has(session)) {
        send(response, 202, { 'x-auth-request-user': user.name, 'x-auth-request-email': user.email });
      } else send(response, 401, {}, 'Unauthorized');
      return;
    }
    if (!origin) {
      send(response, 400, {}, 'X-Forwarded-Proto and Host (or X-Forwarded-Host) are required');
      return;
    }
    if (url.pathname === '/oauth2/sign_in' || url.pathname === '/oauth2/start') {
      const rd = url.searchParams.get('rd') ?? '/';
      const authorize = new URL('/authorize', providerUrl);
      authorize.searchParams.set('redirect_uri', `${origin}/oauth2/callback`);
      authorize.searchParams.set('state', rd);
      send(response, 302, { location: authorize.href });
      return;
    }
    if (url.pathname === '/oauth2/callback') {
      const code = url.searchParams.get('code') ?? '';
      const rd = url.searchParams.get('state') ?? '/';
      if (codes.get(code) !== `${origin}/oauth2/callback`) {
        send(response, 403, {}, 'Invalid code');
        return;
      }
      codes.delete(code);
      // oauth2-proxy's redirect check: a path on this host, or a URL on the host the browser came through.
      const target = new URL(rd, `${origin}/`);
      if (target.origin !== new URL(origin).origin) {
        send(response, 403, {}, `Refusing to redirect to ${target.origin}`);
        return;
      }
      const session = randomBytes(16).toString('hex');
      sessions.add(session);
      send(response, 302, {
        location: target.href,
        'set-cookie': `${SESSION_COOKIE}=${session}; Path=/; HttpOnly; SameSite=Lax`,
      });
      return;
    }
    send(response, 404, {}, 'not found');
  });
  const port = await listen(proxy);

  return {
    upstream: `127.0.0.1:${port}`,
    providerUrl,
    requests,
    user,
    async close() {
      await Promise.all([close(proxy), close(provider)]);
    },
  };
}
