import { LockstepError } from '../../errors.ts';

/** Statements the PostgreSQL endpoint runs; everything else (SET, COPY, DO, CALL, COMMIT, …) is refused. */
const READERS = new Set(['select', 'with', 'values', 'table', 'explain']);

/**
 * The first keyword of a statement, past whitespace, comments (`--`, nested
 * `/* *\/`) and opening parentheses; '' when there is none.
 */
export function firstKeyword(sql: string): string {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (/\s|\(/.test(c)) i++;
    else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      let depth = 0;
      do {
        if (sql.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else i++;
      } while (depth > 0 && i < sql.length);
    } else break;
  }
  return (/^[A-Za-z_]+/.exec(sql.slice(i))?.[0] ?? '').toLowerCase();
}

/**
 * A first, readable refusal: the statement must start like a query. It is not
 * the guard (PostgreSQL's read-only transaction, the single-statement
 * protocol and the reader role are), it only says early what is allowed.
 */
export function checkReadStatement(sql: string): void {
  const word = firstKeyword(sql);
  if (!READERS.has(word))
    throw new LockstepError(
      'E_SQL',
      `only one statement that reads is allowed here (SELECT, WITH, VALUES, TABLE or EXPLAIN), not ${word ? word.toUpperCase() : 'an empty statement'}`,
      { details: { sql } },
    );
}
