// Every relative link of the README and of docs/ reaches a file, and every #anchor a heading of it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { anchor } from '../../src/cli/reference.ts';
import { pages } from './walk.ts';

const LINK = /\]\(([^)\s]+)\)/g;

function anchors(path: string): Set<string> {
  const text = readFileSync(path, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor((m[1] ?? '').replaceAll('`', ''))));
}

test('relative links and anchors of the README and docs/ resolve', () => {
  const broken: string[] = [];
  for (const page of pages()) {
    const text = readFileSync(page.path, 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target = ''] of text.matchAll(LINK)) {
      if (/^[a-z]+:/.test(target)) continue; // http(s), mailto
      const [file = '', hash] = target.split('#');
      const path = file === '' ? page.path : join(dirname(page.path), file);
      if (!existsSync(path)) broken.push(`${page.name}: ${target} (no such file)`);
      else if (hash && path.endsWith('.md') && !anchors(path).has(hash))
        broken.push(`${page.name}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});
