import type { Driver } from '../store/driver.ts';

/**
 * The tables of artifacts, datasets and the model registry, written once for
 * both databases. Every stored file of every owner (an artifact, a dataset
 * version, a model version) is one row of `stored_files`, which is all that
 * garbage collection needs to know which blobs are still referenced.
 */
export async function createArtifactTables(driver: Driver): Promise<void> {
  const t = driver.dialect.columnType;
  const date = t('date');
  const big = t('bigint');
  const json = t('json');
  await driver.transaction(async (tx) => {
    await tx.exec(`CREATE TABLE IF NOT EXISTS stored_files (
      owner TEXT NOT NULL,
      path TEXT NOT NULL,
      digest TEXT NOT NULL,
      size ${big} NOT NULL,
      PRIMARY KEY (owner, path)
    )`);
    await tx.exec('CREATE INDEX IF NOT EXISTS stored_files_digest ON stored_files (digest)');
    await tx.exec(`CREATE TABLE IF NOT EXISTS artifact_settings (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    )`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS artifacts (
      id TEXT PRIMARY KEY,
      experiment_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      name TEXT NOT NULL,
      kind TEXT NOT NULL,
      digest TEXT NOT NULL,
      size ${big} NOT NULL,
      file_count INTEGER NOT NULL,
      created_at ${date} NOT NULL,
      UNIQUE (run_id, name)
    )`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS datasets (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      version TEXT NOT NULL,
      kind TEXT NOT NULL,
      digest TEXT NOT NULL,
      size ${big} NOT NULL,
      file_count INTEGER NOT NULL,
      source TEXT,
      schema ${json},
      created_at ${date} NOT NULL,
      UNIQUE (name, version)
    )`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS dataset_uses (
      experiment_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      dataset_id TEXT NOT NULL,
      used_at ${date} NOT NULL,
      PRIMARY KEY (run_id, dataset_id)
    )`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS registered_models (
      name TEXT PRIMARY KEY,
      description TEXT,
      created_at ${date} NOT NULL,
      updated_at ${date} NOT NULL
    )`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS model_versions (
      id TEXT PRIMARY KEY,
      model TEXT NOT NULL,
      version INTEGER NOT NULL,
      experiment_id TEXT,
      run_id TEXT,
      digest TEXT NOT NULL,
      size ${big} NOT NULL,
      algorithm TEXT NOT NULL,
      input_schema ${json} NOT NULL,
      labels ${json} NOT NULL,
      metrics ${json} NOT NULL,
      description TEXT,
      created_at ${date} NOT NULL,
      format TEXT NOT NULL DEFAULT 'lockstep',
      source TEXT,
      stage TEXT NOT NULL DEFAULT 'None',
      updated_at ${date},
      UNIQUE (model, version)
    )`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS model_aliases (
      model TEXT NOT NULL,
      alias TEXT NOT NULL,
      version INTEGER NOT NULL,
      updated_at ${date} NOT NULL,
      PRIMARY KEY (model, alias)
    )`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS model_tags (
      model TEXT NOT NULL,
      version INTEGER NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (model, version, key)
    )`);
  });
  // columns added since the first release, for databases made before them
  await addColumn(driver, 'model_versions', 'format', "TEXT NOT NULL DEFAULT 'lockstep'");
  await addColumn(driver, 'model_versions', 'source', 'TEXT');
  await addColumn(driver, 'model_versions', 'stage', "TEXT NOT NULL DEFAULT 'None'");
  await addColumn(driver, 'model_versions', 'updated_at', date);
  // the run.lock of the run whose outputs a dataset was registered from: gc keeps that run and its lineage
  await addColumn(driver, 'datasets', 'lock_id', 'TEXT');
}

/** Adds a column unless the table has it (written once for both databases: probe, then ALTER). */
export async function addColumn(driver: Driver, table: string, column: string, type: string): Promise<void> {
  const has = () =>
    driver.all(`SELECT ${column} FROM ${table} WHERE 1 = 0`).then(
      () => true,
      () => false,
    );
  if (await has()) return;
  try {
    await driver.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  } catch (e) {
    if (!(await has())) throw e; // another process added it first
  }
}
