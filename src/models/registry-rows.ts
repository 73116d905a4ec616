import { LockstepError } from '../errors.ts';
import type { Driver } from '../store/driver.ts';
import { ALIAS_NAME, MODEL_NAME } from './uri.ts';

// The registry's small writes and checks, shared by its methods (inside or outside a transaction).

export async function setAlias(tx: Driver, name: string, alias: string, version: number): Promise<void> {
  await tx.insert({
    table: 'model_aliases',
    columns: ['model', 'alias', 'version', 'updated_at'],
    rows: [[name, alias, version, tx.dialect.toParam('date', new Date())]],
    conflict: ['model', 'alias'],
  });
}

export async function setTag(tx: Driver, name: string, version: number, key: string, value: string): Promise<void> {
  if (typeof key !== 'string' || key === '' || typeof value !== 'string') {
    throw new LockstepError('E_INPUT', `tag ${JSON.stringify(key)}: keys and values must be strings`);
  }
  await tx.insert({
    table: 'model_tags',
    columns: ['model', 'version', 'key', 'value'],
    rows: [[name, version, key, value]],
    conflict: ['model', 'version', 'key'],
  });
}

export function checkName(name: string): void {
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw new LockstepError('E_INPUT', `model name "${name}" must be letters, digits, "_", "." or "-"`, {
      details: { name },
    });
  }
}

export function checkAlias(alias: string): void {
  if (typeof alias !== 'string' || !ALIAS_NAME.test(alias) || /^\d+$/.test(alias)) {
    throw new LockstepError(
      'E_INPUT',
      `alias "${alias}" must start with a letter and hold letters, digits, "_" or "-"`,
      { details: { alias } },
    );
  }
}
