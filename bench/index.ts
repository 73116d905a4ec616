// npm run bench [suite...]: runs every benchmark suite (or the named ones) and prints their tables.
import { suites } from './suites.ts';

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !suites.some((s) => s.name === w));
if (unknown.length) {
  console.error(`unknown bench suite(s): ${unknown.join(', ')}; available: ${suites.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
for (const suite of suites) {
  if (wanted.length && !wanted.includes(suite.name)) continue;
  console.log(`\n=== ${suite.name}: ${suite.title} ===\n`);
  await suite.run();
}
