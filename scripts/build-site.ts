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
import { buildSite, findQwotyError } from '../src/site/integration/build-site.ts';

// The build's heap, like a fetch's, is mostly garbage between collections (see heap.ts).
limitHeapGrowth();

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
