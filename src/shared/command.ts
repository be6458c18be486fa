/**
 * One declarative table per command, in the manner of citty's `defineCommand({ args })`: each setting names
 * its flag, its environment variable, its default, the zod schema that checks it and its help line, once.
 * From that table come the `node:util` `parseArgs` options, the `--help` text, the README's configuration
 * table and every error message that names a setting. Nothing here reads `process`: entry points pass
 * `process.env` and `process.argv` in.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, type ExitCodeUse, formatExitCodes } from './errors.ts';

/** One setting of a command. A flag, an environment variable, or both (the flag wins). */
export interface Setting<T = unknown> {
  /** The long flag without its dashes (`data-dir`); none for a setting read only from the environment. */
  readonly flag?: string;
  readonly short?: string;
  /** The environment variable (`QWOTY_DATA_DIR`). */
  readonly env?: string;
  /** A `boolean` flag takes no value; its variable reads `1`, `true`, `yes` or `on` as set. */
  readonly type: 'string' | 'boolean';
  /** The value's name in the help (`<path>`). */
  readonly placeholder?: string;
  /** The default, written as a user would type it; what the help and the README show. */
  readonly default?: string;
  /** How the default reads in the help when it is not a value (`(all)`, `(required)`). */
  readonly defaultLabel?: string;
  /** Checks the text (or `true`) and turns it into the value; receives `undefined` when nothing was given. */
  readonly schema: z.ZodType<T, unknown>;
  /** One line: what it does. */
  readonly help: string;
  /** Set by other tools, not by people (`QWOTY_DEMO`): left out of the help and the README. */
  readonly hidden?: boolean;
  /** Hand a blank variable to the schema as it is, instead of as unset (a blank token is its own mistake). */
  readonly keepBlank?: boolean;
}

export type Settings = Readonly<Record<string, Setting>>;

export interface Command<S extends Settings> {
  /** How people run it: `npm run fetch`. */
  readonly name: string;
  /** What it does, a few lines for the help. */
  readonly summary: string;
  readonly settings: S;
  /** Printed after the options (notes). */
  readonly epilogue?: string;
  /** The exit codes it can end with, printed last in its help from the exit-code table. */
  readonly exitCodes?: ExitCodeUse;
}

/** The parsed values of a command's settings, typed from its table. */
export type Values<S extends Settings> = {
  -readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never;
};

export type Parsed<S extends Settings> = { help: true } | { help: false; values: Values<S> };

/** Declares a command; throws at load time when two settings share a flag or a variable. */
export function defineCommand<const S extends Settings>(command: Command<S>): Command<S> {
  const seen = new Set<string>();
  for (const [key, setting] of Object.entries(command.settings)) {
    for (const name of [
      setting.flag && `--${setting.flag}`,
      setting.short && `-${setting.short}`,
      setting.env,
    ]) {
      if (!name) continue;
      if (seen.has(name) || name === '--help' || name === '-h') {
        throw new TypeError(`${command.name}: setting \`${key}\` repeats ${name}`);
      }
      seen.add(name);
    }
    if (!setting.flag && !setting.env)
      throw new TypeError(`${command.name}: setting \`${key}\` has no flag or variable`);
  }
  return command;
}

/** Merges the settings of several commands (e.g. `nightly` = `fetch` + `build`), the first one winning. */
export function mergeSettings<const A extends Settings, const B extends Settings>(
  a: A,
  b: B,
): A & Omit<B, keyof A> {
  const extra = Object.entries(b).filter(([key]) => !(key in a));
  return { ...a, ...Object.fromEntries(extra) } as A & Omit<B, keyof A>;
}

/**
 * Reads `argv` then `env`, then the default, for every setting, and checks them with their schemas. Throws one
 * `ConfigError` sentence naming the setting (its variable and its flag) and where to look.
 */
export function parseCommand<S extends Settings>(
  command: Command<S>,
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
): Parsed<S> {
  const seeHelp = `see \`${command.name} -- --help\``;
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: argsOptions(command),
    }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}; ${seeHelp}.`, { cause: error });
  }
  if (flags.help === true) return { help: true };

  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(command.settings)) {
    const fromFlag = setting.flag ? flags[setting.flag] : undefined;
    const fromEnv = setting.env
      ? setting.keepBlank
        ? env[setting.env]
        : nonEmpty(env[setting.env])
      : undefined;
    const raw = fromFlag ?? fromEnv ?? setting.default;
    const parsed = setting.schema.safeParse(raw);
    if (!parsed.success) {
      const message = parsed.error.issues[0]?.message ?? 'invalid';
      // Messages written for people already name their variable ("QWOTY_API_TOKEN is not set").
      throw new ConfigError(
        setting.env && message.includes(setting.env)
          ? `${message}; see .env.example or \`${command.name} -- --help\`.`
          : `${settingLabel(setting)} is invalid (${message}); ${seeHelp}.`,
        { cause: parsed.error },
      );
    }
    values[key] = parsed.data;
  }
  return { help: false, values: values as Values<S> };
}

/** `QWOTY_CUSTOMER_ID (--customer)`, or whichever of the two exists. */
export function settingLabel(setting: Setting): string {
  if (setting.env && setting.flag) return `${setting.env} (--${setting.flag})`;
  return setting.env ?? `--${setting.flag}`;
}

/** The `--help` text. */
export function formatUsage<S extends Settings>(command: Command<S>): string {
  const visible = Object.values(command.settings).filter((setting) => !setting.hidden);
  const flagged = visible.filter((setting) => setting.flag);
  const envOnly = visible.filter((setting) => !setting.flag);
  const flagText = (setting: Setting) =>
    `${setting.short ? `-${setting.short}, ` : ''}--${setting.flag}${setting.type === 'string' ? ` ${setting.placeholder ?? '<value>'}` : ''}`;
  const width = Math.max(20, ...flagged.map((setting) => flagText(setting).length)) + 2;
  const lines = [
    `Usage: ${command.name}${flagged.length > 0 ? ' -- [options]' : ''}`,
    '',
    command.summary,
    '',
    'Options (flags win over environment variables):',
    ...flagged.map(
      (setting) =>
        `  ${flagText(setting).padEnd(width)}${describe(setting)}${setting.env ? `  [${setting.env}]` : ''}`,
    ),
    `  ${'-h, --help'.padEnd(width)}show this help`,
  ];
  if (envOnly.length > 0) {
    lines.push('', 'Environment:');
    const envWidth = Math.max(...envOnly.map((setting) => setting.env?.length ?? 0)) + 2;
    for (const setting of envOnly)
      lines.push(`  ${(setting.env ?? '').padEnd(envWidth)}${describe(setting)}`);
  }
  if (command.epilogue) lines.push('', command.epilogue);
  if (command.exitCodes) lines.push('', formatExitCodes(command.exitCodes));
  return lines.join('\n');
}

/** The README's configuration table for these commands' settings, each setting once. */
export function formatSettingsTable(commands: readonly Command<Settings>[]): string {
  const rows = new Map<string, string>();
  for (const command of commands) {
    for (const setting of Object.values(command.settings)) {
      if (setting.hidden) continue;
      const id = `${setting.env ?? ''}|${setting.flag ?? ''}`;
      if (rows.has(id)) continue;
      const flag = setting.flag ? `\`--${setting.flag}\`` : '';
      const env = setting.env ? `\`${setting.env}\`` : '';
      const fallback =
        setting.default !== undefined ? `\`${setting.default}\`` : (setting.defaultLabel ?? '');
      rows.set(id, `| ${env} | ${flag} | ${fallback} | ${setting.help} |`);
    }
  }
  return ['| variable | flag | default | meaning |', '|---|---|---|---|', ...rows.values()].join('\n');
}

function describe(setting: Setting): string {
  const fallback = setting.default !== undefined ? `default ${setting.default}` : setting.defaultLabel;
  return fallback ? `${setting.help} (${fallback})` : setting.help;
}

function argsOptions(command: Command<Settings>): ParseArgsOptionsConfig {
  const options: ParseArgsOptionsConfig = { help: { type: 'boolean', short: 'h' } };
  for (const setting of Object.values(command.settings)) {
    if (!setting.flag) continue;
    options[setting.flag] = setting.short
      ? { type: setting.type, short: setting.short }
      : { type: setting.type };
  }
  return options;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value?.trim() ? value : undefined;
}

// ---- Schemas that read settings the way people write them --------------------------------------------------

/** A switch: a flag given (`true`), or a variable reading `1`, `true`, `yes` or `on` (any case). */
export const switchSchema = z
  .union([z.boolean(), z.string(), z.undefined()])
  .transform(
    (value) => value === true || (typeof value === 'string' && /^(1|true|yes|on)$/i.test(value.trim())),
  );

/** A whole number from `min` to `max`. */
export const wholeSchema = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int({ error: `expected a whole number from ${min} to ${max}` })
    .min(min, { error: `expected a whole number from ${min} to ${max}` })
    .max(max, { error: `expected a whole number from ${min} to ${max}` });

/** A number of `unit`s (seconds, minutes) from `min` to `max`, as milliseconds. */
export const durationSchema = (unit: 'seconds' | 'minutes' | 'hours', min: number, max: number) =>
  z.coerce
    .number({ error: `expected a number of ${unit} from ${min} to ${max}` })
    .min(min, { error: `expected a number of ${unit} from ${min} to ${max}` })
    .max(max, { error: `expected a number of ${unit} from ${min} to ${max}` })
    .transform((value) => Math.round(value * { seconds: 1_000, minutes: 60_000, hours: 3_600_000 }[unit]));

/** A share such as `0.1` or `10%`, between 0 and 1. */
export const shareSchema = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    const text = value.trim();
    return text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  },
  z.number({ error: 'expected a number such as 0.1 or 10%' }).min(0).max(1),
);

/** Non-empty text, trimmed. */
export const textSchema = z.string().trim().min(1);
