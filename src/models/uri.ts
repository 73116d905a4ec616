import { LockstepError } from '../errors.ts';

/** A model reference: `models:/iris@champion`, `models:/iris/3` or `models:/iris` (the latest version). */
export interface ModelRef {
  name: string;
  version?: number;
  alias?: string;
}

/** Any name without `/`, `@` or control characters, not starting or ending with a space (MLflow names fit). */
export const MODEL_NAME = /^(?!\s)[^/@\p{Cc}]{1,256}(?<!\s)$/u;
/** Letters, digits, `_` and `-` (MLflow's rule); all digits, `latest` and `v1`-like names are refused apart. */
export const ALIAS_NAME = /^[\p{L}\p{N}_-]{1,255}$/u;

export function parseModelUri(uri: string): ModelRef {
  const m = /^models:\/([^/@]+)(?:\/(\d+|latest)|@([^/@]+))?$/.exec(typeof uri === 'string' ? uri : '');
  if (!m || !MODEL_NAME.test(m[1] as string) || (m[3] !== undefined && !ALIAS_NAME.test(m[3]))) {
    throw new LockstepError(
      'E_INPUT',
      `"${uri}" is not a model URI; expected models:/NAME@ALIAS, models:/NAME/VERSION or models:/NAME`,
      { details: { uri } },
    );
  }
  const name = m[1] as string;
  if (m[3] !== undefined) return { name, alias: m[3] };
  if (m[2] !== undefined && m[2] !== 'latest') return { name, version: Number(m[2]) };
  return { name };
}

export function formatModelUri(ref: ModelRef): string {
  return ref.alias
    ? `models:/${ref.name}@${ref.alias}`
    : ref.version
      ? `models:/${ref.name}/${ref.version}`
      : `models:/${ref.name}`;
}
