import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.ts';

/**
 * Python's json module writes NaN and Infinity as bare words, and MLflow's
 * client sends metric values that way. Bodies that fail strict parsing get a
 * second chance with those words (outside strings) turned into the strings
 * protobuf JSON uses for them.
 */
export function tolerantJson(scope: FastifyInstance): void {
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      try {
        done(null, JSON.parse(quoteNonFinite(text)));
      } catch (e) {
        done(
          new HttpError(400, 'E_INPUT', `malformed JSON body: ${(e as Error).message}`, { field: 'body' }),
          undefined,
        );
      }
    }
  });
}

function quoteNonFinite(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    const rest = text.slice(i, i + 9);
    const word = ['-Infinity', 'Infinity', 'NaN'].find((w) => rest.startsWith(w));
    if (word) {
      out += `"${word}"`;
      i += word.length - 1;
      continue;
    }
    out += ch;
  }
  return out;
}
