/**
 * Which customers' pages a build renders, handed to `getStaticPaths` of
 * `src/pages/customers/[id]/index.astro` (`customer-pages.ts` and `buildSite()` decide). Apart from the rest
 * so the page's bundle imports nothing for it.
 *
 * Like the site context (`site-context.ts`): the pages run in Astro's module runner, with their own copy of
 * this module, so the decision is handed over on `globalThis` under a registered symbol.
 */
const PLAN = Symbol.for('qwoty.customer-page-plan');

/**
 * Resolves with the ids of the customers whose page Astro renders. Asked once, while Astro generates the
 * pages: by then it has emitted every script and stylesheet, which the answer may depend on.
 */
export type PagesToRender = () => Promise<ReadonlySet<string>>;

type Holder = { [PLAN]?: PagesToRender | undefined };

/** Hands the pages' decision to `getStaticPaths`; undefined (once the build is over) for every page. */
export function providePagesToRender(decide: PagesToRender | undefined): void {
  (globalThis as Holder)[PLAN] = decide;
}

/**
 * The ids of the customers whose page this build renders; undefined for all of them (no decision handed
 * over: `astro dev`, `astro build` without `npm run build`).
 */
export async function customerPagesToRender(): Promise<ReadonlySet<string> | undefined> {
  return (globalThis as Holder)[PLAN]?.();
}
