/**
 * A process started by another with an IPC channel (the nightly's site build) watches that channel: it
 * closes when the parent is gone, killed or not, and then this process has no reason to go on. Node has no
 * "die with my parent" (Linux's PR_SET_PDEATHSIG); the channel is the portable way to learn it, and costs
 * nothing to a process started without one (`npm run build`).
 */
import { ExitCode, QwotyError } from '../shared/errors.ts';

export interface ParentWatch {
  /** Throws when the parent is gone: call it just before an act only the parent wants (the site switch). */
  assertParentAlive(): void;
}

/**
 * Stops this process (exit 7, with a line on stderr) as soon as the parent that opened its IPC channel is
 * gone. Without a channel, nothing is watched.
 */
export function watchParent(name: string): ParentWatch {
  const channel = process.channel;
  if (!channel) return { assertParentAlive: () => {} };
  // The channel alone must not keep this process alive once its work is done.
  channel.unref();
  process.on('disconnect', () => {
    process.stderr.write(`${name}: the run that started it is gone; stopping without switching the site.\n`);
    process.exit(ExitCode.build);
  });
  return {
    assertParentAlive() {
      if (!process.connected) {
        throw new QwotyError(
          'The run that started this build is gone: the new site was not switched in, and the last good site is kept.',
          ExitCode.build,
        );
      }
    },
  };
}
