import { LockstepError } from '../errors.ts';

/** Values a template can use: strings for `{{name}}`, booleans for `{{#if name}}`. */
export type TemplateVars = Record<string, string | boolean>;

const DIRECTIVE = /^\s*\{\{\s*(#if|#unless|else|\/if|\/unless)\s*([A-Za-z0-9_]*)\s*\}\}\s*$/;
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/**
 * Renders a template. Deliberately tiny: `{{name}}` substitutes a string,
 * and lines holding only `{{#if flag}}`, `{{#unless flag}}`, `{{else}}` or
 * `{{/if}}` keep or drop the lines between them. An unknown name or an
 * unbalanced block throws, so a typo in a template fails the generator's
 * tests instead of shipping a literal `{{name}}` into a user's project.
 */
export function render(template: string, vars: TemplateVars, source = 'template'): string {
  const out: string[] = [];
  // each open block: whether its own lines are kept, and where it opened (for errors)
  const stack: { keep: boolean; line: number }[] = [];
  const keeping = () => stack.every((b) => b.keep);
  const lines = template.split('\n');
  lines.forEach((line, i) => {
    const where = `${source}:${i + 1}`;
    const d = DIRECTIVE.exec(line);
    if (d) {
      const [, kind, name] = d;
      if (kind === '#if' || kind === '#unless') {
        const value = flag(vars, name ?? '', where);
        stack.push({ keep: kind === '#if' ? value : !value, line: i + 1 });
      } else if (kind === 'else') {
        const top = stack.at(-1);
        if (!top) throw new LockstepError('E_INPUT', `${where}: {{else}} outside a block`);
        top.keep = !top.keep;
      } else if (!stack.pop()) {
        throw new LockstepError('E_INPUT', `${where}: {{${kind}}} closes no block`);
      }
      return;
    }
    if (keeping()) out.push(substitute(line, vars, where));
  });
  const open = stack.at(-1);
  if (open) throw new LockstepError('E_INPUT', `${source}:${open.line}: block is never closed`);
  return out.join('\n');
}

function flag(vars: TemplateVars, name: string, where: string): boolean {
  const v = vars[name];
  if (typeof v !== 'boolean') throw new LockstepError('E_INPUT', `${where}: "${name}" is not a template flag`);
  return v;
}

function substitute(line: string, vars: TemplateVars, where: string): string {
  return line.replace(PLACEHOLDER, (_, name: string) => {
    const v = vars[name];
    if (typeof v !== 'string') throw new LockstepError('E_INPUT', `${where}: "${name}" is not a template value`);
    return v;
  });
}
