import { syntaxError, type Token, tokenize } from './tokens.ts';

/** A name in a filter: `scope.key`, or a bare column (`scope` is `column`). */
export interface Ident {
  scope: string;
  key: string;
  pos: number;
}

export type Literal = string | number | boolean;

export type Expr =
  | { type: 'and' | 'or'; left: Expr; right: Expr }
  | { type: 'not'; expr: Expr }
  | { type: 'cmp'; ident: Ident; op: string; value: Literal; pos: number }
  | { type: 'in'; ident: Ident; values: Literal[]; negate: boolean; pos: number }
  | { type: 'null'; ident: Ident; negate: boolean };

const COMPARISONS = new Set(['=', '!=', '<', '<=', '>', '>=']);

/**
 * Parses a filter in MLflow's search syntax, extended with OR, NOT and
 * parentheses. Precedence: NOT binds tighter than AND, AND tighter than OR.
 * An empty filter parses to `null` (every run).
 *
 * @example
 * ```ts
 * parseFilter("metrics.acc > 0.9 and (params.model = 'knn' or not params.k in (1, 3))");
 * ```
 */
export function parseFilter(input: string): Expr | null {
  const p = new Parser(tokenize(input));
  if (p.peek().type === 'end') return null;
  const expr = p.or();
  const t = p.peek();
  if (t.type !== 'end') throw syntaxError(`unexpected ${describe(t)}, expected AND, OR or the end`, t.pos);
  return expr;
}

/** Parses a single identifier (for sort keys): `metrics.loss`, `accuracy`, `params."x-y"`. */
export function parseIdent(input: string): Ident {
  const p = new Parser(tokenize(input));
  const ident = p.ident();
  const t = p.peek();
  if (t.type !== 'end') throw syntaxError(`unexpected ${describe(t)} after the name`, t.pos);
  return ident;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(): Token {
    return this.tokens[this.i] as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (t.type !== 'end') this.i++;
    return t;
  }
  private keyword(...words: string[]): boolean {
    const t = this.peek();
    if (t.type === 'word' && words.includes(t.text.toUpperCase())) {
      this.i++;
      return true;
    }
    return false;
  }
  private isKeyword(offset: number, word: string): boolean {
    const t = this.tokens[this.i + offset];
    return t?.type === 'word' && t.text.toUpperCase() === word;
  }

  or(): Expr {
    let left = this.and();
    while (this.keyword('OR')) left = { type: 'or', left, right: this.and() };
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.keyword('AND')) left = { type: 'and', left, right: this.not() };
    return left;
  }

  private not(): Expr {
    if (this.keyword('NOT')) return { type: 'not', expr: this.not() };
    if (this.peek().type === 'lparen') {
      this.next();
      const expr = this.or();
      const t = this.next();
      if (t.type !== 'rparen') throw syntaxError(`expected ")" but found ${describe(t)}`, t.pos);
      return expr;
    }
    return this.predicate();
  }

  ident(): Ident {
    const t = this.next();
    if (t.type === 'ident') return { scope: t.scope as string, key: t.text, pos: t.pos };
    if (t.type === 'quoted' || (t.type === 'word' && !RESERVED.has(t.text.toUpperCase())))
      return { scope: 'column', key: t.text, pos: t.pos };
    throw syntaxError(`expected a name such as metrics.acc or params.model, found ${describe(t)}`, t.pos);
  }

  private predicate(): Expr {
    const ident = this.ident();
    const t = this.peek();
    if (t.type === 'op') {
      this.next();
      if (!COMPARISONS.has(t.text)) throw syntaxError(`unknown operator "${t.text}"`, t.pos);
      return { type: 'cmp', ident, op: t.text, value: this.literal(), pos: t.pos };
    }
    if (this.keyword('IS')) {
      const negate = this.keyword('NOT');
      if (!this.keyword('NULL')) throw syntaxError(`expected NULL after IS${negate ? ' NOT' : ''}`, this.peek().pos);
      return { type: 'null', ident, negate };
    }
    const negate =
      this.isKeyword(0, 'NOT') && (this.isKeyword(1, 'IN') || this.isKeyword(1, 'LIKE') || this.isKeyword(1, 'ILIKE'));
    if (negate) this.next();
    const opTok = this.peek();
    if (this.keyword('LIKE', 'ILIKE')) {
      const value = this.literal();
      if (typeof value !== 'string') throw syntaxError(`${opTok.text.toUpperCase()} needs a string pattern`, opTok.pos);
      const cmp: Expr = { type: 'cmp', ident, op: opTok.text.toUpperCase(), value, pos: opTok.pos };
      return negate ? { type: 'not', expr: cmp } : cmp;
    }
    if (this.keyword('IN')) {
      const open = this.next();
      if (open.type !== 'lparen') throw syntaxError(`expected "(" after IN, found ${describe(open)}`, open.pos);
      const values: Literal[] = [this.literal()];
      while (this.peek().type === 'comma') {
        this.next();
        values.push(this.literal());
      }
      const close = this.next();
      if (close.type !== 'rparen')
        throw syntaxError(`expected "," or ")" in the IN list, found ${describe(close)}`, close.pos);
      return { type: 'in', ident, values, negate, pos: opTok.pos };
    }
    throw syntaxError(
      `expected an operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS) after "${ident.key}", found ${describe(t)}`,
      t.pos,
    );
  }

  private literal(): Literal {
    const t = this.next();
    if (t.type === 'string' || t.type === 'quoted') return t.text;
    if (t.type === 'number') return Number(t.text);
    if (t.type === 'word') {
      const w = t.text.toUpperCase();
      if (w === 'TRUE' || w === 'FALSE') return w === 'TRUE';
      if (w === 'NULL') throw syntaxError('compare with NULL using IS NULL or IS NOT NULL', t.pos);
    }
    throw syntaxError(`expected a value (a 'string', a number, true or false), found ${describe(t)}`, t.pos);
  }
}

const RESERVED = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'IS', 'NULL', 'TRUE', 'FALSE']);

function describe(t: Token): string {
  switch (t.type) {
    case 'end':
      return 'the end of the filter';
    case 'string':
      return `'${t.text}'`;
    case 'ident':
      return `"${t.scope}.${t.text}"`;
    default:
      return `"${t.text}"`;
  }
}
