import type { EventEmitter } from 'node:events';
import type { Command, Option } from 'commander';
import { families } from './commands/index.ts';
import { buildProgram } from './program.ts';

const INTRO = `# Command reference

Every \`lockstep\` command and option, generated from the command definitions
by \`npm run docs:commands\` (\`src/cli/reference.ts\`); \`test/docs/reference.test.ts\`
fails when this file and the definitions disagree, so do not edit it by hand.

In a project that depends on lockstep (and in a checkout after \`npm ci\`),
\`npx lockstep …\` runs the command; these pages write \`lockstep …\`.
Every command that opens a database takes \`--db URL\` (default
\`$LOCKSTEP_DB\`, else \`./lockstep.db\`). Listings print an aligned table on a
terminal and CSV through a pipe; \`--json\` and \`--csv\` choose. Bad input
(an unknown experiment, column or option, bad SQL) is one message and exit
code 2; other failures exit 1. \`lockstep --version\` prints the version and
\`lockstep help COMMAND\` (or \`COMMAND --help\`) the options of a command.
`;

/** The whole program: every command family registered (what `lockstep --help` loads). */
export async function fullProgram(): Promise<Command> {
  return buildProgram(await Promise.all(families.map((f) => f.load())));
}

/** docs/commands.md: every command, its arguments and options, and the text its `--help` adds. */
export function commandReference(program: Command): string {
  const commands = walk(program, []);
  const index = commands.map(({ path }) => `- [\`${path}\`](#${anchor(path)})`);
  return [INTRO, '## Commands', '', ...index, '', ...commands.flatMap(({ cmd, path }) => section(cmd, path))]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
}

function walk(cmd: Command, parents: string[]): { cmd: Command; path: string }[] {
  return cmd.commands.flatMap((sub) => {
    const names = [...parents, sub.name()];
    return [{ cmd: sub, path: `lockstep ${names.join(' ')}` }, ...walk(sub, names)];
  });
}

function section(cmd: Command, path: string): string[] {
  const lines = [`## ${path}`, '', capitalise(cmd.description()), '', '```text', `${path} ${cmd.usage()}`, '```', ''];
  const args = cmd.registeredArguments.filter((a) => a.description);
  if (args.length) {
    lines.push('| argument | meaning |', '|---|---|');
    for (const a of args) lines.push(`| \`${a.name()}\` | ${cell(a.description)}${defaultOf(a.defaultValue)} |`);
    lines.push('');
  }
  const options = cmd.options.filter((o) => !o.hidden);
  if (options.length) {
    lines.push('| option | meaning |', '|---|---|');
    for (const o of options) lines.push(`| \`${o.flags}\` | ${cell(o.description)}${optionExtras(o)} |`);
    lines.push('');
  }
  const after = helpText(cmd, 'afterHelp').trim();
  if (after) lines.push('```text', after, '```', '');
  if (cmd.commands.length) {
    lines.push(
      `Subcommands: ${cmd.commands.map((c) => `[\`${c.name()}\`](#${anchor(`${path} ${c.name()}`)})`).join(', ')}.`,
      '',
    );
  }
  return lines;
}

/** What `addHelpText(position, …)` added to a command's help. */
function helpText(cmd: Command, event: 'afterHelp'): string {
  let out = '';
  // commander keeps that text in listeners of the command's own help events (Command is an EventEmitter)
  (cmd as unknown as EventEmitter).emit(event, { error: false, command: cmd, write: (s: string) => (out += s) });
  return out;
}

function optionExtras(o: Option): string {
  const parts: string[] = [];
  if (o.argChoices) parts.push(` (one of ${o.argChoices.map((c) => `\`${c}\``).join(', ')})`);
  if (o.envVar) parts.push(` (or \`$${o.envVar}\`)`);
  if (!o.negate) parts.push(defaultOf(o.defaultValue));
  return parts.join('');
}

function defaultOf(value: unknown): string {
  if (value === undefined || value === false) return '';
  return ` (default: \`${Array.isArray(value) ? value.join(', ') : String(value)}\`)`;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const capitalise = (s: string) => (s ? `${s[0]?.toUpperCase()}${s.slice(1)}${/[.!?)]$/.test(s) ? '' : '.'}` : '');

/** GitHub's heading anchors: lowercase, spaces to dashes, punctuation dropped. */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replaceAll(' ', '-');
}
