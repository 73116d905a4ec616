import type { Driver } from '../../store/driver.ts';

/**
 * What only MLflow has, kept by its layer in tables of its own (queryable
 * like every other table): the datasets MLflow clients log as run inputs
 * (references with MLflow's digest, source and schema, no files), the links
 * between runs and datasets or logged models, and MLflow 3's logged models.
 */
const ready = new WeakMap<Driver, Promise<void>>();

export function ensureMlflowTables(driver: Driver): Promise<void> {
  let p = ready.get(driver);
  if (!p) {
    const big = driver.dialect.columnType('bigint');
    p = driver.transaction(async (tx) => {
      await tx.exec(`CREATE TABLE IF NOT EXISTS mlflow_datasets (
        id TEXT PRIMARY KEY,
        experiment_id TEXT NOT NULL,
        name TEXT NOT NULL,
        digest TEXT NOT NULL,
        source_type TEXT NOT NULL,
        source TEXT NOT NULL,
        schema TEXT,
        profile TEXT,
        UNIQUE (experiment_id, name, digest)
      )`);
      // kind: dataset_input, model_input or model_output; ref: a dataset id or a logged model id
      await tx.exec(`CREATE TABLE IF NOT EXISTS mlflow_run_links (
        experiment_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        ref TEXT NOT NULL,
        tags TEXT NOT NULL,
        step ${big},
        PRIMARY KEY (run_id, kind, ref)
      )`);
      await tx.exec(`CREATE TABLE IF NOT EXISTS mlflow_logged_models (
        id TEXT PRIMARY KEY,
        experiment_id TEXT NOT NULL,
        name TEXT NOT NULL,
        model_type TEXT,
        source_run_id TEXT,
        status TEXT NOT NULL,
        status_message TEXT,
        artifact_location TEXT NOT NULL,
        created_at ${big} NOT NULL,
        updated_at ${big} NOT NULL,
        tags TEXT NOT NULL,
        params TEXT NOT NULL
      )`);
    });
    p.catch(() => ready.delete(driver));
    ready.set(driver, p);
  }
  return p;
}
