import { LockstepError } from '../errors.ts';

export type TokenType =
  | 'word'
  | 'ident'
  | 'string'
  | 'quoted'
  | 'number'
  | 'op'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'end';

export interface Token {
  type: TokenType;
  /** The text as written (without quotes for strings and quoted names). */
  text: string;
  /** For `ident`: the part before the first dot (`metrics`, `params`, …). */
  scope?: string;
  /** Character offset in the filter, for error messages. */
  pos: number;
}

/** A malformed filter: an E_INPUT error that says where. */
export function syntaxError(message: string, pos: number): LockstepError {
  return new LockstepError('E_INPUT', `invalid filter: ${message} at position ${pos}`, { details: { position: pos } });
}

const WORD = /[A-Za-z0-9_.]/;
const OPS = ['!=', '<>', '<=', '>=', '=', '<', '>'];

/**
 * Splits a filter into tokens. `scope.key` and `scope."quoted key"` become one
 * `ident` token; a lone `"…"` stays `quoted`, since it is a column name before
 * an operator and a string after one (MLflow accepts both).
 */
export function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '(' || ch === ')' || ch === ',') {
      out.push({ type: ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : 'comma', text: ch, pos: start });
      i++;
      continue;
    }
    const op = OPS.find((o) => input.startsWith(o, i));
    if (op) {
      out.push({ type: 'op', text: op === '<>' ? '!=' : op, pos: start });
      i += op.length;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      const [text, end] = readQuoted(input, i);
      out.push({ type: ch === "'" ? 'string' : 'quoted', text, pos: start });
      i = end;
      continue;
    }
    if (/[0-9]/.test(ch) || ((ch === '-' || ch === '+' || ch === '.') && /[0-9.]/.test(input[i + 1] ?? ''))) {
      const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(input.slice(i));
      if (m && !WORD.test(input[i + m[0].length] ?? '')) {
        out.push({ type: 'number', text: m[0], pos: start });
        i += m[0].length;
        continue;
      }
    }
    if (WORD.test(ch)) {
      while (i < input.length && WORD.test(input[i] as string)) i++;
      const word = input.slice(start, i);
      const dot = word.indexOf('.');
      if (dot < 0) {
        out.push({ type: 'word', text: word, pos: start });
        continue;
      }
      const scope = word.slice(0, dot);
      let key = word.slice(dot + 1);
      if (key === '') {
        const q = input[i];
        if (q !== '"' && q !== '`') throw syntaxError(`"${scope}." must be followed by a name`, i);
        [key, i] = readQuoted(input, i);
      }
      if (scope === '') throw syntaxError(`unexpected "."`, start);
      out.push({ type: 'ident', text: key, scope, pos: start });
      continue;
    }
    throw syntaxError(`unexpected character "${ch}"`, start);
  }
  out.push({ type: 'end', text: '', pos: input.length });
  return out;
}

/** Reads a quoted text starting at `i`; the quote character doubled (or backslashed) stands for itself. */
function readQuoted(input: string, i: number): [string, number] {
  const q = input[i] as string;
  let text = '';
  let j = i + 1;
  while (j < input.length) {
    const c = input[j] as string;
    if (c === '\\' && j + 1 < input.length) {
      text += input[j + 1];
      j += 2;
    } else if (c === q) {
      if (input[j + 1] === q) {
        text += q;
        j += 2;
      } else {
        return [text, j + 1];
      }
    } else {
      text += c;
      j++;
    }
  }
  throw syntaxError(`unterminated ${q === "'" ? 'string' : 'quoted name'}`, i);
}
