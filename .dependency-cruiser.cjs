/**
 * The import rules of docs/ARCHITECTURE.md's folder table, as code: one `forbidden` rule per line of the
 * table, each saying why. `npm test` runs `depcruise src scripts test --config .dependency-cruiser.cjs`.
 *
 * Each folder rule forbids importing our own code (src/, scripts/, test/) outside what the table allows;
 * Node's modules and npm packages are not limited here. Type-only imports count like the others, except
 * where a rule says so. dependency-cruiser does not read `.astro` files: their imports are not checked.
 */

/** Our own code: what the folder rules limit. */
const OURS = '^(src|scripts|test)/';

/**
 * The modules of src/shared that the browser may load: pure, no zod, no Node module. Kept so by the
 * `browser-safe-shared-stays-pure` rule below.
 */
const BROWSER_SAFE_SHARED = '^src/shared/(spreadsheet-safety|export-columns|csv-format)\\.ts$';

/** A folder rule: `folder` may import only `allowed` of our code (its own files always). */
function only(name, folder, allowed, comment, extra = {}) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: `^${folder}` },
    to: { path: OURS, pathNot: [`^${folder}`, ...allowed], ...extra },
  };
}

module.exports = {
  forbidden: [
    only(
      'scripts-import-only-src',
      'scripts/',
      ['^src/'],
      'Entry points are edges: what a test or a benchmark would want from one belongs in src/.',
    ),
    only(
      'cli-imports-shared-pipeline-nightly',
      'src/cli/',
      ['^src/(shared|pipeline|nightly)/'],
      'What entry points share (runMain, the README table generator, which reads every command table).',
    ),
    only(
      'shared-imports-only-shared',
      'src/shared/',
      [],
      'src/shared has no runtime of its own: everything may use it, so it may use nothing of ours.',
    ),
    only(
      'pipeline-imports-only-shared',
      'src/pipeline/',
      ['^src/shared/'],
      'A fetch run knows nothing of the site, the nightly or the fake API it may be tested against.',
    ),
    only(
      'nightly-imports-pipeline-site-build-shared',
      'src/nightly/',
      ['^src/(pipeline|site/build|shared)/'],
      'The nightly chains the pipeline and the site build; it does not reach into their plumbing.',
    ),
    only(
      'fake-api-imports-only-shared',
      'src/fake-api/',
      ['^src/shared/'],
      'The embedded API stands for the real one: it must not share code with the client it is tested against.',
    ),
    only(
      'site-build-imports-loader-shared-site-shared',
      'src/site/build/',
      ['^src/(pipeline|shared|site/shared)/', '^src/consts\\.ts$'],
      'Node code of the Astro build: it reads the snapshot through the loader; it never imports ' +
        'src/site/integration, which imports it (no cycle between the two).',
    ),
    only(
      'site-client-imports-site-shared-and-browser-safe-shared',
      'src/site/client/',
      ['^src/site/shared/', BROWSER_SAFE_SHARED, '^src/consts\\.ts$'],
      'Browser code: whatever it imports ends up in the bundle a reader downloads, and must run there.',
    ),
    only(
      'site-shared-imports-only-browser-safe-shared',
      'src/site/shared/',
      [BROWSER_SAFE_SHARED],
      'Pure functions used by the build and the browser alike: only what a browser can load.',
    ),
    only(
      'site-integration-imports-site-build-pipeline-shared',
      'src/site/integration/',
      ['^src/(site/build|site/shared|pipeline|shared)/'],
      'Astro and Vite plumbing (the configuration, the build run, the log handler, the dev downloads): it ' +
        'hands the settings to pages and drives the build (writing the customer files after Astro, with the ' +
        "site's words from src/site/shared); src/site/build does not import it back.",
    ),
    only(
      'astro-folders-import-site',
      'src/(pages|components|layouts)/',
      ['^src/(site|pages|components|layouts|styles)/', '^src/consts\\.ts$'],
      'Pages stay thin and URL-shaped: what they show comes from src/site. Types of the schemas may be ' +
        'imported (type-only imports are not checked by this rule).',
      { dependencyTypesNot: ['type-only'] },
    ),
    only(
      'bench-imports-anything-but-test',
      'src/bench/',
      ['^src/', '^scripts/'],
      'Benchmarks share fixtures with tests through src/testing, never through test/.',
    ),
    {
      name: 'testing-and-bench-only-for-tests-and-benchmarks',
      comment:
        'src/testing and src/bench are for tests and benchmarks: product code that imported them would ' +
        'ship fixtures and timers (scripts/bench*.ts are the benchmarks entry points).',
      severity: 'error',
      from: { pathNot: '^(test/|src/testing/|src/bench/|scripts/bench)' },
      to: { path: '^src/(testing|bench)/' },
    },
    {
      name: 'nothing-imports-test',
      comment: 'test/ is vitest only: nothing outside it may depend on a test or its helpers.',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'browser-safe-shared-stays-pure',
      comment:
        'The modules of src/shared the browser loads import, at run time, only each other: no zod, no ' +
        'Node module, nothing that would weigh on or break the bundle. Types are free.',
      severity: 'error',
      from: { path: BROWSER_SAFE_SHARED },
      to: { pathNot: BROWSER_SAFE_SHARED, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      comment:
        'A cycle makes two modules one: neither can be read, tested or moved alone. A cycle closed only by ' +
        'a type-only import is erased at run time and allowed: the exporters import the `Exporter` type ' +
        'from exporters/index.ts, which lists them; i18n.ts types its tables with text.ts, which reads them.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|\\.astro|\\.demo|\\.bench|data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
