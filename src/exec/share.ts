import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Run } from '../core/run.ts';
import { quoteId } from '../store/driver.ts';
import type { ExperimentRecord, RunStatus, Store } from '../store/store.ts';
import { executionMode } from './plan.ts';

/** Made with the shared tables (src/store/tables.ts). */
const TABLE = 'executions';

/**
 * Several processes executing one experiment at once (the same script
 * started on four machines, say) share its runs. Each execution registers
 * itself; once it sees others, it looks at the store ten times a second and
 * leaves the runs shown done (for these steps) or running under another live
 * lease, and a process that finds others at its start takes the runs in an
 * order of its own, so that processes rarely pick the same run. Runs have the same ids
 * in every process, so a run two processes did execute at the same moment is
 * still one row.
 */
export class Sharing {
  private others = false;
  /** Runs done (for these steps) or running elsewhere, as of the last look. */
  private taken = new Set<string>();
  private looking: NodeJS.Timeout | null = null;
  private readonly since = Date.now() - 60_000;
  /** Runs of this execution's plan that were done or running elsewhere when their turn came. */
  leftToOthers = 0;
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly store: Store,
    private readonly exp: ExperimentRecord,
    private readonly id: string,
    private readonly leaseMs: number,
    private readonly names: readonly string[],
    private readonly rerun: boolean,
    private readonly onShared?: () => void,
  ) {}

  /**
   * Registers this execution and looks for others (they are checked again
   * every `everyMs`). Registering at once, not at the first beat, is what
   * lets a process that starts a moment later see this one and take the runs
   * in another order.
   */
  static async start(
    store: Store,
    exp: ExperimentRecord,
    o: { leaseMs: number; everyMs: number; names: readonly string[]; rerun: boolean; onShared?: () => void },
  ): Promise<Sharing> {
    const s = new Sharing(store, exp, randomUUID(), o.leaseMs, o.names, o.rerun, o.onShared);
    await s.beat();
    s.timer = setInterval(() => {
      s.beating = s.beat().catch(() => undefined);
    }, o.everyMs);
    s.timer.unref();
    return s;
  }

  private registered = false;
  private beating: Promise<void> = Promise.resolve();

  /** Registers this execution or renews its lease, and sees whether another one is alive. */
  private async beat(): Promise<void> {
    const now = Date.now();
    const d = this.store.driver;
    if (this.registered) await d.run(`UPDATE ${TABLE} SET lease_until = ? WHERE id = ?`, [now + this.leaseMs, this.id]);
    else {
      await d.run(`INSERT INTO ${TABLE} (id, experiment_id, host, pid, lease_until) VALUES (?, ?, ?, ?, ?)`, [
        this.id,
        this.exp.id,
        hostname(),
        process.pid,
        now + this.leaseMs,
      ]);
      this.registered = true;
    }
    await this.seeOthers(now);
  }

  private async seeOthers(now: number): Promise<void> {
    const d = this.store.driver;
    const [row] = await d.all<{ n: number | bigint }>(
      `SELECT COUNT(*) AS n FROM ${TABLE} WHERE experiment_id = ? AND id <> ? AND lease_until > ?`,
      [this.exp.id, this.id, now],
    );
    const others = Number(row?.n ?? 0) > 0;
    if (others && !this.looking) {
      this.onShared?.();
      await this.look();
      this.looking = setInterval(() => this.look().catch(() => undefined), 100);
      this.looking.unref();
    }
    this.others = others;
  }

  get shared(): boolean {
    return this.others;
  }

  /**
   * The order to execute runs in: an order of its own (shuffled) when others
   * already run the sweep, so that two processes rarely pick the same run
   * before its row shows it taken (in one list order they would travel
   * together once they met).
   */
  order(todo: Run[]): Run[] {
    if (!this.others || todo.length < 2) return todo;
    const out = [...todo];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [out[i], out[j]] = [out[j] as Run, out[i] as Run];
    }
    return out;
  }

  /** Whether a run about to start is done or running elsewhere (known from the last look at the store). */
  skip(run: Run): boolean {
    if (!this.others || !this.taken.has(run.id)) return false;
    this.leftToOthers++;
    return true;
  }

  /** Looks at the runs other processes started since this execution began. */
  private async look(): Promise<void> {
    const d = this.store.driver;
    const now = Date.now();
    const rows = await d.all<{
      run_id: string;
      status: RunStatus;
      run_steps: string | null;
      run_lease_until: number | bigint | null;
    }>(
      `SELECT run_id, status, run_steps, run_lease_until FROM ${quoteId(this.exp.tableName)} WHERE started_at >= ? AND status IN ('done', 'running')`,
      [d.dialect.toParam('date', new Date(this.since))],
    );
    const taken = new Set<string>();
    for (const r of rows) {
      if (r.status === 'running') {
        if (Number(r.run_lease_until ?? 0) > now) taken.add(r.run_id);
      } else if (!this.rerun) {
        const steps = r.run_steps ? (JSON.parse(r.run_steps) as string[]) : null;
        if (executionMode({ status: r.status, steps }, this.names, false) === 'skip') taken.add(r.run_id);
      }
    }
    this.taken = taken;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.looking) clearInterval(this.looking);
    this.timer = null;
    this.looking = null;
    await this.beating;
    if (this.registered)
      await this.store.driver.run(`DELETE FROM ${TABLE} WHERE id = ?`, [this.id]).catch(() => undefined);
  }
}
