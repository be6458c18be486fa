/**
 * `public/_headers`, `deploy/nginx.conf` and `deploy/Caddyfile` say the same thing, read as text: the same
 * CSP as the pages, the same security headers, the same Cache-Control for each kind of path, the same media
 * types. `test/e2e/web-servers.test.ts` then asks a real nginx and a real Caddy.
 */
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/consts.ts';
import {
  CACHE_CONTROL,
  cacheControlFor,
  HEADER_CSP,
  MEDIA_TYPES,
  SAMPLE_PATHS,
  SECURITY_HEADERS,
} from './expected-headers.ts';

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');
const unquote = (value: string) => value.trim().replace(/^"(.*)"$/, '$1');
/** A host's path pattern (`/changes/*`, `*.csv`) as a regular expression; `*` matches anything. */
const pattern = (glob: string) =>
  new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);

/** `public/_headers`: `path` lines, each followed by indented `Name: value` lines; `#` starts a comment. */
function parseHeadersFile(text: string) {
  const rules: { path: string; headers: [string, string][] }[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) rules.push({ path: line.trim(), headers: [] });
    else {
      const [, name = '', value = ''] = line.match(/^\s+([^:]+):\s*(.*)$/) ?? [];
      rules.at(-1)?.headers.push([name.toLowerCase(), value.trim()]);
    }
  }
  /** Every value of a header a host sends for `path`, from every rule that matches it. */
  const valuesFor = (path: string, name: string) =>
    rules
      .filter((rule) => pattern(rule.path).test(path))
      .flatMap((rule) => rule.headers.filter(([header]) => header === name).map(([, value]) => value));
  return { rules, valuesFor };
}

/** `deploy/nginx.conf`: its directives with the blocks they are in, comments dropped. */
function parseNginx(text: string) {
  const directives: { blocks: string[]; words: string[]; line: string }[] = [];
  const blocks: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    if (line.endsWith('{')) blocks.push(line.slice(0, -1).trim());
    else if (line === '}') blocks.pop();
    else {
      const words = [...line.replace(/;$/, '').matchAll(/"[^"]*"|\S+/g)].map(([word]) => unquote(word));
      directives.push({ blocks: [...blocks], words, line });
    }
  }
  const inServer = directives.filter((directive) => directive.blocks.length === 1);
  /** Its Cache-Control for `path`: the longest `location` prefix that sets the variable, else the server's. */
  const cacheControlOf = (path: string) => {
    const variable = inServer.find((d) => d.words[0] === 'add_header' && d.words[1] === 'Cache-Control')
      ?.words[2];
    const sets = directives.filter((d) => d.words[0] === 'set' && d.words[1] === variable);
    const matching = sets
      .map((d) => ({ prefix: d.blocks[1]?.replace(/^location\s+/, '') ?? '', value: d.words[2] }))
      .filter(({ prefix }) => prefix === '' || path.startsWith(prefix))
      .sort((a, b) => b.prefix.length - a.prefix.length);
    return matching[0]?.value;
  };
  const types = directives.filter((d) => d.blocks.at(-1) === 'types');
  const charsetTypes = [
    'text/html',
    ...(inServer.find((d) => d.words[0] === 'charset_types')?.words.slice(1) ?? []),
  ];
  const charset = inServer.find((d) => d.words[0] === 'charset')?.words[1];
  /** The Content-Type it sends for a file extension (`.csv`). */
  const mediaTypeOf = (extension: string) => {
    const type = types.find((d) => d.words.slice(1).includes(extension.slice(1)))?.words[0];
    return type && charset && charsetTypes.includes(type) ? `${type}; charset=${charset}` : type;
  };
  return { directives, inServer, cacheControlOf, mediaTypeOf };
}

/** `deploy/Caddyfile`: its `header { … }` block, named `path` matchers and `header @matcher` lines. */
function parseCaddyfile(text: string) {
  const lines = text
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean);
  const start = lines.indexOf('header {');
  const end = lines.indexOf('}', start);
  const block = lines.slice(start + 1, end).filter((line) => !line.startsWith('-'));
  const always = Object.fromEntries(
    block.map((line) => {
      const [, name = '', value = ''] = line.match(/^(\S+)\s+(.*)$/) ?? [];
      return [name.toLowerCase(), unquote(value)];
    }),
  );
  const matchers = new Map<string, (path: string) => boolean>();
  for (const line of lines) {
    const [, name = '', not, globs = ''] = line.match(/^@(\S+)\s+(not\s+)?path\s+(.+)$/) ?? [];
    if (!name) continue;
    const tests = globs.split(/\s+/).map(pattern);
    matchers.set(name, (path) => tests.some((test) => test.test(path)) !== Boolean(not));
  }
  const perPath = lines
    .map((line) => line.match(/^header\s+@(\S+)\s+(\S+)\s+(.+)$/))
    .filter((match) => match !== null)
    .map(([, matcher = '', name = '', value = '']) => ({ matcher, name, value: unquote(value) }));
  /** Every value the per-path `header` lines give a header for `path`. */
  const valuesFor = (path: string, name: string) =>
    perPath
      .filter((rule) => rule.name.toLowerCase() === name && matchers.get(rule.matcher)?.(path))
      .map((rule) => rule.value);
  return { lines, always, valuesFor };
}

const headersFile = parseHeadersFile(await read('public/_headers'));
const nginxText = await read('deploy/nginx.conf');
const nginx = parseNginx(nginxText);
const caddyText = await read('deploy/Caddyfile');
const caddy = parseCaddyfile(caddyText);

describe('the hosting configurations', () => {
  test("all three send the pages' CSP with frame-ancestors 'none'", () => {
    expect(HEADER_CSP).toBe(`${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`);
    expect(headersFile.valuesFor('/', 'content-security-policy')).toEqual([HEADER_CSP]);
    const nginxCsp = nginx.inServer.find((d) => d.words[1] === 'Content-Security-Policy');
    expect(nginxCsp?.words[2]).toBe(HEADER_CSP);
    expect(caddy.always['content-security-policy']).toBe(HEADER_CSP);
  });

  test('all three send the same security headers on every path', () => {
    const nginxHeaders = Object.fromEntries(
      nginx.inServer
        .filter((d) => d.words[0] === 'add_header' && d.words[1] !== 'Cache-Control')
        .map((d) => [String(d.words[1]).toLowerCase(), d.words[2]]),
    );
    expect(nginxHeaders).toEqual(SECURITY_HEADERS);
    expect(caddy.always).toEqual(SECURITY_HEADERS);
    for (const path of SAMPLE_PATHS) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        expect(headersFile.valuesFor(path, name), `${path} ${name}`).toEqual([value]);
      }
    }
  });

  test('all three send one Cache-Control per path: private for personal data, public only under /_astro/', () => {
    for (const path of SAMPLE_PATHS) {
      const expected = cacheControlFor(path);
      expect(headersFile.valuesFor(path, 'cache-control'), `_headers ${path}`).toEqual([expected]);
      expect(nginx.cacheControlOf(path), `nginx ${path}`).toBe(expected);
      expect(caddy.valuesFor(path, 'cache-control'), `Caddyfile ${path}`).toEqual([expected]);
      if (!path.startsWith('/_astro/')) expect(expected).toMatch(/^private\b/);
    }
    expect(`${nginxText}${caddyText}`).toContain(CACHE_CONTROL.hashed);
  });

  test('_headers gives every route of src/pages, and the downloads, a Cache-Control', async () => {
    const entries = await readdir(new URL('../../src/pages/', import.meta.url), { withFileTypes: true });
    const routes = entries.map((entry) => {
      const name = entry.name.replace(/\.astro$/, '');
      if (name === 'index') return '/';
      if (name === '404') return '/404.html';
      return entry.isDirectory() ? `/${name}/any` : `/${name}/`;
    });
    expect(routes.length).toBeGreaterThan(5);
    for (const path of [...routes, '/downloads/any.csv']) {
      expect(headersFile.valuesFor(path, 'cache-control'), path).toEqual([cacheControlFor(path)]);
    }
  });

  test('nginx adds every header at server level, always, so no location drops the others', () => {
    const added = nginx.directives.filter((d) => d.words[0] === 'add_header');
    expect(added.length).toBe(Object.keys(SECURITY_HEADERS).length + 1);
    for (const directive of added) {
      expect(directive.blocks, directive.line).toEqual([expect.stringMatching(/^server$/)]);
      expect(directive.words.at(-1), directive.line).toBe('always');
    }
  });

  test('nginx and Caddy name the media types of the downloads and the search data', () => {
    for (const [extension, type] of Object.entries(MEDIA_TYPES)) {
      expect(nginx.mediaTypeOf(extension), `nginx ${extension}`).toBe(type);
    }
    for (const extension of ['.csv', '.xlsx', '.json', '.txt', '.vcf', '.xml']) {
      expect(caddy.valuesFor(`/downloads/file${extension}`, 'content-type'), `Caddy ${extension}`).toEqual([
        MEDIA_TYPES[extension],
      ]);
    }
  });

  test('each has exactly one site address (listen) and one root line, the only site-specific lines', () => {
    expect(nginx.directives.filter((d) => d.words[0] === 'listen')).toHaveLength(1);
    expect(nginx.directives.filter((d) => d.words[0] === 'root')).toHaveLength(1);
    expect(caddy.lines.filter((line) => /^root\s/.test(line))).toHaveLength(1);
    // The first line that is not a comment is the site address.
    expect(caddy.lines[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+ \{$/);
  });
});
