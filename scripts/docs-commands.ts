// `npm run docs:commands`: writes docs/commands.md from the command definitions (src/cli/reference.ts).
import { writeFileSync } from 'node:fs';
import { commandReference, fullProgram } from '../src/cli/reference.ts';

const path = new URL('../docs/commands.md', import.meta.url);
writeFileSync(path, commandReference(await fullProgram()));
console.log('wrote docs/commands.md');
