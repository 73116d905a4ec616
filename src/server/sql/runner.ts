import type { Row } from '../../store/driver.ts';

export interface SqlLimits {
  timeoutMs: number;
  /** Rows to fetch at most (the endpoint asks for one more than it shows, to tell truncation). */
  maxRows: number;
}

/** Runs one user statement that may only read, on connections that serve nothing else. */
export interface SqlRunner {
  run(sql: string, params: readonly unknown[], limits: SqlLimits): Promise<Row[]>;
  close(): Promise<void>;
}

/** At most `size` holders at once; the others wait in order, up to `timeoutMs`. */
export class Slots {
  private busy = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly size: number) {}

  /** Resolves to a release function, or to null when no slot freed within `timeoutMs`. */
  acquire(timeoutMs: number): Promise<(() => void) | null> {
    const release = () => {
      const next = this.queue.shift();
      if (next) next();
      else this.busy--;
    };
    if (this.busy < this.size) {
      this.busy++;
      return Promise.resolve(release);
    }
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        this.queue.splice(this.queue.indexOf(grant), 1);
        resolve(null);
      }, timeoutMs);
      this.queue.push(grant);
    });
  }
}
