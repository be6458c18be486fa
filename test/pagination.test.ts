import { describe, expect, test } from 'vitest';
import {
  createPaginator,
  linkHeaderNext,
  type PageFacts,
  PartialListError,
} from '../src/pipeline/pagination.ts';

const FIRST = 'https://qwoty.app/api/contacts';

let pages = 0;
function page(
  facts: Partial<Omit<PageFacts, 'members'>> & { members?: Record<string, unknown> } = {},
): PageFacts {
  pages += 1;
  return {
    url: FIRST,
    count: 10,
    link: null,
    totalCount: null,
    fingerprint: `page ${pages}`,
    ...facts,
    members: new Map(Object.entries({ success: true, ...facts.members })),
  };
}

function refusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(PartialListError);
    return (error as Error).message;
  }
  throw new Error('expected a PartialListError');
}

describe('linkHeaderNext', () => {
  test.each([
    ['<https://x/api/contacts?page=2>; rel="next"', 'https://x/api/contacts?page=2'],
    ['<https://x/?page=1>; rel="first", <https://x/?page=3>; rel="next"', 'https://x/?page=3'],
    ['<https://x/?page=3>; rel=next', 'https://x/?page=3'],
    ['<https://x/?page=3>; title="a, b"; rel="prev next"', 'https://x/?page=3'],
    ['<https://x/?page=1>; rel="prev"', undefined],
    ['', undefined],
    [null, undefined],
  ])('reads %j as %j', (header, expected) => {
    expect(linkHeaderNext(header)).toBe(expected);
  });
});

describe('createPaginator', () => {
  test('ends a list that says nothing about pages after its one answer', () => {
    const paginator = createPaginator({ firstUrl: FIRST });
    expect(paginator.next(page())).toBeNull();
    expect(paginator.summary()).toEqual({ count: 10, pages: 1, members: [] });
  });

  test("ignores Laravel's list of page buttons in links, and reads next_page_url", () => {
    const paginator = createPaginator({ firstUrl: FIRST });
    const next = paginator.next(
      page({
        members: { links: [{ url: null, label: '&laquo;' }], next_page_url: `${FIRST}?page=2`, total: 20 },
      }),
    );
    expect(next).toBe(`${FIRST}?page=2`);
    expect(paginator.next(page({ members: { next_page_url: null, total: 20 } }))).toBeNull();
    expect(paginator.summary().members).toEqual(['links', 'next_page_url', 'total']);
  });

  test('resolves a relative next link against the page it came from', () => {
    const paginator = createPaginator({ firstUrl: FIRST });
    expect(paginator.next(page({ members: { links: { next: '?page=2' } } }))).toBe(`${FIRST}?page=2`);
  });

  test('asks for ?page=n+1 from meta.current_page and meta.last_page', () => {
    const paginator = createPaginator({ firstUrl: `${FIRST}?customer_id=c` });
    expect(paginator.next(page({ members: { meta: { current_page: 1, last_page: 2 } } }))).toBe(
      `${FIRST}?customer_id=c&page=2`,
    );
  });

  test.each([
    ['has_more without a cursor', { has_more: true }, /has_more is true but no next_cursor or cursor/],
    [
      'two next links that disagree',
      { links: { next: `${FIRST}?page=2` }, next_page_url: `${FIRST}?page=3` },
      /links\.next and next_page_url name different next pages/,
    ],
    ['a next link that is not text', { links: { next: 2 } }, /links\.next is not a URL/],
    ['an unknown next token in meta', { meta: { nextPageToken: 'abc' } }, /"meta\.nextPageToken"/],
    [
      'a next link downgraded to plain http',
      { links: { next: 'http://qwoty.app/api/contacts?page=2' } },
      /on http:\/\/qwoty\.app, not on the API's https:\/\/qwoty\.app/,
    ],
  ])('refuses %s', (_name, members, message) => {
    expect(refusal(() => createPaginator({ firstUrl: FIRST }).next(page({ members })))).toMatch(message);
  });

  test('lets an unknown continuation-looking member pass when it holds nothing', () => {
    const paginator = createPaginator({ firstUrl: FIRST });
    expect(paginator.next(page({ members: { next: null, continuation_token: '', more: false } }))).toBeNull();
  });

  test('refuses a next link it has already read', () => {
    const paginator = createPaginator({ firstUrl: FIRST });
    paginator.next(page({ link: `<${FIRST}?page=2>; rel="next"` }));
    expect(refusal(() => paginator.next(page({ link: `<${FIRST}?page=2>; rel="next"` })))).toMatch(
      /was read already/,
    );
  });

  test('refuses a list whose total is larger than what arrived over all pages', () => {
    const paginator = createPaginator({ firstUrl: FIRST });
    paginator.next(page({ totalCount: '25', link: `<${FIRST}?page=2>; rel="next"` }));
    expect(refusal(() => paginator.next(page({ totalCount: '25' })))).toMatch(
      /X-Total-Count announces 25 records but 20 arrived/,
    );
  });
});
