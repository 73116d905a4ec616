import type { FastifyInstance } from 'fastify';
import { isWellFormed } from '../untrusted.ts';
import { HttpError } from './errors.ts';

/** How deep a request's JSON may nest (a remote session's own values stay below 70). */
export const MAX_JSON_DEPTH = 128;

interface Item {
  v: unknown;
  depth: number;
  parent: Item | null;
  key: string;
}

const fieldOf = (item: Item, where: string): string => {
  const parts: string[] = [];
  for (let i: Item | null = item; i?.parent; i = i.parent) parts.push(i.key);
  parts.reverse();
  // a path thousands of levels long says no more than its start
  const shown = parts.length > 12 ? [...parts.slice(0, 8), `…(${parts.length - 8} more)`] : parts;
  return [where, ...shown].join('.');
};

/** Why a string cannot be stored as text (a NUL, a lone surrogate), or undefined when it can. */
export function badString(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character, which text columns cannot hold';
  if (!isWellFormed(s)) return 'contains a lone surrogate (not valid Unicode); send well-formed UTF-16 text';
  return undefined;
}

/**
 * One walk over a request's parsed body, query or path parameters, without
 * recursion (a body may nest thousands deep): nesting beyond
 * {@link MAX_JSON_DEPTH}, and a NUL character or a lone surrogate in any key
 * or string, are a 400 naming the field. PostgreSQL cannot store a NUL in
 * text and would silently turn a lone surrogate into U+FFFD; values that need
 * them travel in lockstep's codec (`{ "$codec": … }`).
 */
export function checkInput(value: unknown, where: string): void {
  const stack: Item[] = [{ v: value, depth: 0, parent: null, key: '' }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { v } = item;
    if (typeof v === 'string') {
      const why = badString(v);
      if (why) throw fail(fieldOf(item, where), why);
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (item.depth >= MAX_JSON_DEPTH) throw fail(fieldOf(item, where), `nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ v: v[i], depth: item.depth + 1, parent: item, key: String(i) });
    } else {
      for (const k of Object.keys(v)) {
        const why = badString(k);
        if (why) throw fail(`${fieldOf(item, where)} key ${JSON.stringify(k)}`, why);
        stack.push({ v: (v as Record<string, unknown>)[k], depth: item.depth + 1, parent: item, key: k });
      }
    }
  }
}

function fail(field: string, why: string): HttpError {
  return new HttpError(400, 'E_INPUT', `${field}: ${why}`, { field });
}

/** Route config: `checksInput` marks a route whose body validator runs {@link checkInput} itself (or an equivalent). */
declare module 'fastify' {
  interface FastifyContextConfig {
    checksInput?: boolean;
  }
}

/** Checks every request's body, query string and path parameters before its schema runs. */
export function installInputChecks(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    if (req.body !== undefined && !req.routeOptions.config?.checksInput) checkInput(req.body, 'body');
    checkInput(req.query, 'querystring');
    checkInput(req.params, 'params');
  });
}
