import type { TokenSpec } from '../server/auth.ts';

/** A repeatable option's values. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

const split = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

/** Tokens from --token / --read-token or LOCKSTEP_TOKEN / LOCKSTEP_READ_TOKEN (comma-separated), for `ui` and `serve`. */
export function tokensFrom(opts: { token?: string[]; readToken?: string[] }): TokenSpec[] {
  const write = [...(opts.token ?? []), ...split(process.env.LOCKSTEP_TOKEN)];
  const read = [...(opts.readToken ?? []), ...split(process.env.LOCKSTEP_READ_TOKEN)];
  return [
    ...write.map((token) => ({ token, access: 'write' as const })),
    ...read.map((token) => ({ token, access: 'read' as const })),
  ];
}

/** Host names from --allowed-host or LOCKSTEP_ALLOWED_HOSTS (comma-separated). */
export function allowedHostsFrom(opts: { allowedHost?: string[] }): string[] {
  return [...(opts.allowedHost ?? []), ...split(process.env.LOCKSTEP_ALLOWED_HOSTS)];
}
