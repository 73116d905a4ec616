import type { ServerContext, Typed } from '../context.ts';

/** The MLflow tracking REST API under /api/2.0/mlflow and /ajax-api/2.0/mlflow. */
export async function registerMlflow(_app: Typed, _ctx: ServerContext): Promise<void> {}
