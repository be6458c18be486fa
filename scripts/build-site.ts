/**
 * `npm run build [-- --force]`: builds the directory site from the snapshot alone (no network, no token).
 * Settings: `--help`, or `SITE_SETTINGS` in src/site/build/site-settings.ts.
 */
import { watchParent } from '../src/cli/parent-watch.ts';
import { isInteractive, loadDotEnv, runMain } from '../src/cli/run-main.ts';
import { parseCommand } from '../src/shared/command.ts';
import { ExitCode } from '../src/shared/errors.ts';
import { limitHeapGrowth } from '../src/shared/heap.ts';
import { formatMs } from '../src/shared/reporter.ts';
import { BUILD_COMMAND, BUILD_USAGE } from '../src/site/build/site-settings.ts';

// The build's heap, like a fetch's, is mostly garbage between collections (see heap.ts). It holds more live
// data than a fetch (the directory of every contact, about 300 MB at 100,000 contacts, with Astro's), so it
// grows by less between collections: at 50% the render's heap reached 500 MB and the build peaked at 835 MB;
// at 30%, 425 MB and 751 MB (a first night at 100,000 contacts, with the purge below; one run each).
limitHeapGrowth(30);
// Rolldown, which bundles the site inside Astro's build, allocates with mimalloc, which by default keeps the
// pages it freed for a while before giving them back: what bundling used stayed in the process for the whole
// render, about 100 MB of the peak at 100,000 contacts (945-964 MB without, 849-852 MB with, one run each).
// mimalloc reads its options when Rolldown's binding loads, so this is set before Astro is imported.
process.env.MIMALLOC_PURGE_DELAY ??= '0';
const { buildSite, findQwotyError } = await import('../src/site/integration/build-site.ts');

await runMain('build', async () => {
  loadDotEnv();
  // The site never needs the token: nothing in the build can read it.
  delete process.env.QWOTY_API_TOKEN;
  // Astro's `import.meta.env` reads the environment while pages render: a BASE_URL there (vitest sets one
  // for its children) would replace the configured base (QWOTY_SITE_BASE) in every URL of the pages.
  delete process.env.BASE_URL;
  process.env.ASTRO_TELEMETRY_DISABLED = '1';
  const parsed = parseCommand(BUILD_COMMAND, process.env, process.argv.slice(2));
  if (parsed.help) {
    console.log(BUILD_USAGE);
    return ExitCode.ok;
  }
  const { verbose } = parsed.values;
  // Started by a nightly: stop when it is gone, and never switch a site in for it then.
  const parent = watchParent('build');
  try {
    const built = await buildSite({
      settings: parsed.values,
      verbose,
      interactive: isInteractive(process.stdout),
      output: { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) },
      cwd: process.cwd(),
      pid: process.pid,
      beforeSwitch: parent.assertParentAlive,
    });
    console.log(
      `[build] ${(built.rendered + built.reused).toLocaleString('en')} pages (${built.rendered.toLocaleString('en')} rendered, ${built.reused.toLocaleString('en')} reused) in ${formatMs(built.ms)}, into ${parsed.values.siteDir}`,
    );
  } catch (error) {
    throw findQwotyError(error) ?? error;
  }
  return ExitCode.ok;
});
