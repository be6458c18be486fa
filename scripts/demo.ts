/** `npm run demo`: the whole pipeline with no token and no network (see src/fake-api/demo.ts). */
import path from 'node:path';
import { runMain } from '../src/cli/run-main.ts';
import { DEMO_COMMAND } from '../src/fake-api/commands.ts';
import { runDemo } from '../src/fake-api/demo.ts';
import { formatUsage, parseCommand } from '../src/shared/command.ts';
import { ExitCode } from '../src/shared/errors.ts';

await runMain('demo', async () => {
  const parsed = parseCommand(DEMO_COMMAND, process.env, process.argv.slice(2));
  if (parsed.help) {
    console.log(formatUsage(DEMO_COMMAND));
    return ExitCode.ok;
  }
  await runDemo({
    ...parsed.values,
    root: path.resolve(import.meta.dirname, '..'),
    node: process.execPath,
    env: process.env,
    cwd: process.cwd(),
    log: (line) => console.log(line),
    output: 'inherit',
  });
  return ExitCode.ok;
});
