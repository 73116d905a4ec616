// The shell commands a Markdown page shows, as the docs tests run them. A
// fenced block whose language is `sh` is a shell session: every line is a
// command (a trailing `\` continues it on the next line; blank lines and
// `#` comment lines are skipped). A word after the language says how the
// block is tested (docs/README.md, "Commands in these pages"):
//   (none)       cheap: test/docs/commands.test.ts runs it, in page order
//   server       its first command serves until stopped; the other commands
//                talk to it (test/docs/servers.test.ts)
//   long         long work (installs, the whole suite, benchmarks, a cluster);
//                its own suite covers it, the walk does not run it
//   placeholder  names things that do not exist here (a host, a remote, your
//                script): shown, never run
import { readFileSync } from 'node:fs';

export const MARKERS = ['run', 'server', 'long', 'placeholder'] as const;
export type Marker = (typeof MARKERS)[number];

export interface Command {
  text: string;
  /** 1-based line of the page where the command starts. */
  line: number;
}

export interface Block {
  file: string;
  line: number;
  marker: Marker;
  commands: Command[];
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/;

/** Every `sh` block of a page, in order; an unknown marker throws, naming the page and line. */
export function shellBlocks(markdown: string, file: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const [, fence = '```', lang = '', info = ''] = open;
    const body: { text: string; line: number }[] = [];
    let j = i + 1;
    for (; j < lines.length && !(lines[j] ?? '').trimStart().startsWith(fence); j++) {
      body.push({ text: lines[j] ?? '', line: j + 1 });
    }
    if (lang === 'sh') {
      const word = info.trim() || 'run';
      if (!(MARKERS as readonly string[]).includes(word)) {
        throw new Error(`${file}:${i + 1}: unknown sh block marker "${word}" (expected one of ${MARKERS.join(', ')})`);
      }
      blocks.push({ file, line: i + 1, marker: word as Marker, commands: commandsOf(body) });
    }
    i = j;
  }
  return blocks;
}

function commandsOf(body: { text: string; line: number }[]): Command[] {
  const out: Command[] = [];
  let pending: Command | undefined;
  for (const { text, line } of body) {
    if (pending) {
      pending.text += `\n${text}`;
    } else {
      const t = text.trim();
      if (t === '' || t.startsWith('#')) continue;
      pending = { text, line };
    }
    if (!/\\$/.test(text)) {
      out.push(pending);
      pending = undefined;
    }
  }
  if (pending) out.push(pending);
  return out;
}

export function shellBlocksOf(path: string, name: string = path): Block[] {
  return shellBlocks(readFileSync(path, 'utf8'), name);
}
