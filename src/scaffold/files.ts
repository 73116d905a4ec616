import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../version.ts';
import type { InitChoices } from './options.ts';
import { packageJson } from './package-json.ts';
import { render, type TemplateVars } from './render.ts';

/** A file of the project to generate: its path inside the project and its content. */
export interface PlannedFile {
  path: string;
  content: string;
}

// templates/ sits at the package root, two levels above both src/scaffold/
// (running through tsx) and dist/scaffold/ (the built package).
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/init/', import.meta.url));

/** Folders that must exist even while empty; git keeps them through a .gitkeep file. */
export const KEPT_DIRS = [
  'data/raw',
  'data/interim',
  'data/processed',
  'data/external',
  'models',
  'references',
  'reports/figures',
];

// npm drops files named .gitignore from published packages, so dot-files are
// stored without their dot and renamed here.
const RENAMES: Record<string, string> = { gitignore: '.gitignore', 'env.example': '.env.example' };

/** Every file of the project, in a stable order. Pure: writes nothing. */
export function planProject(c: InitChoices, now: Date = new Date()): PlannedFile[] {
  const vars = templateVars(c, now);
  const sets = ['common', c.example ? 'example' : 'blank', ...(c.linter === 'biome' ? ['biome'] : [])];
  const files: PlannedFile[] = [];
  for (const set of sets) {
    const root = join(TEMPLATES_DIR, set);
    for (const file of walk(root)) {
      const rel = relative(root, file)
        .split(sep)
        .join('/')
        .replace(/\.tmpl$/, '');
      const source = `templates/init/${set}/${rel}.tmpl`;
      files.push({ path: RENAMES[rel] ?? rel, content: render(readFileSync(file, 'utf8'), vars, source) });
    }
  }
  if (c.license !== 'none') {
    const template = readFileSync(join(TEMPLATES_DIR, 'licenses', `${c.license}.tmpl`), 'utf8');
    files.push({ path: 'LICENSE', content: render(template, vars, `templates/init/licenses/${c.license}.tmpl`) });
  }
  files.push({ path: 'package.json', content: packageJson(c) });
  for (const dir of KEPT_DIRS) files.push({ path: `${dir}/.gitkeep`, content: '' });
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.tmpl') ? [join(dir, e.name)] : []));
}

export function templateVars(c: InitChoices, now: Date): TemplateVars {
  const runScript = c.packageManager === 'pnpm' ? 'pnpm' : 'npm run';
  return {
    projectName: c.projectName,
    packageName: c.packageName,
    description: c.description,
    author: c.author,
    copyrightHolder: c.author || `the ${c.projectName} authors`,
    year: String(now.getFullYear()),
    licenseName: c.license === 'none' ? '' : `${c.license} License`,
    runScript,
    installCommand: `${c.packageManager} install`,
    execCommand: c.packageManager === 'pnpm' ? 'pnpm exec' : 'npx',
    modelDir: c.example ? 'models/logreg' : 'models/model',
    // npm needs `--` before a script's own arguments; pnpm passes them as they are
    trainArgs: c.packageManager === 'pnpm' ? 'pnpm train' : 'npm run train --',
    overrideExample: c.example ? 'lr=0.1' : 'seed=1',
    sweepExample: c.example ? 'lr=0.1,0.5' : 'seed=1,2,3',
    testRunnerName: c.testRunner === 'vitest' ? 'Vitest' : "Node's test runner, through tsx",
    lintDescription: c.linter === 'biome' ? 'Biome, then the type check' : 'the type check (tsc)',
    dataRemote: c.dataRemote ?? '',
    experiment: 'train',
    example: c.example,
    vitest: c.testRunner === 'vitest',
    biome: c.linter === 'biome',
    remote: c.dataRemote !== null,
    license: c.license !== 'none',
    pnpm: c.packageManager === 'pnpm',
    lockstepSpec: c.lockstepSpec,
    lockstepVersion: VERSION,
    lockstepLocal: /^(file|link):/.test(c.lockstepSpec),
    lockstepTarball: /\.(tgz|tar\.gz|tar)$/.test(c.lockstepSpec),
  };
}
