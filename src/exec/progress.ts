import cliProgress from 'cli-progress';

/** Something that shows progress; give your own to `execute({ progress })` to draw it elsewhere. */
export interface ProgressSink {
  update(p: ProgressState): void;
  stop(p: ProgressState): void;
}

export interface ProgressState {
  total: number;
  done: number;
  failed: number;
  /** Runs per second since the start. */
  rate: number;
  /** Seconds left at the current rate; null until something finished. */
  etaSeconds: number | null;
  elapsedMs: number;
  /** Extra words for the line, such as the Slurm array's task states from squeue. */
  note?: string;
}

export type ProgressOption = boolean | 'auto' | 'bar' | 'lines' | ProgressSink;

export interface ProgressSettings {
  quiet?: boolean;
  progress?: ProgressOption;
  stream?: NodeJS.WriteStream;
  /** Plain lines: one per this many milliseconds (default 10 s). */
  lineEveryMs?: number;
  /** Nothing is drawn for executions shorter than this (default 1 s): tiny sweeps stay silent. */
  delayMs?: number;
}

/**
 * Counts finished runs and shows them: a cli-progress bar on a terminal, a
 * plain line every few seconds without one (CI logs, pipes), nothing with
 * `quiet`. Drawing is throttled so that 10^5 tiny runs do not pay for it.
 */
export class Progress {
  private done = 0;
  private failed = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly sink: ProgressSink | null;
  private timer: NodeJS.Timeout | null = null;
  private note: string | undefined;

  constructor(
    private total: number,
    settings: ProgressSettings = {},
  ) {
    this.sink = makeSink(settings);
    if (this.sink) {
      this.timer = setInterval(() => this.draw(Date.now()), 200);
      this.timer.unref();
    }
  }

  /** Counts one finished run. */
  tick(failed: boolean): void {
    this.done++;
    if (failed) this.failed++;
    // The interval timer draws only while this thread waits; steps that keep it busy (inline, CPU-bound) would
    // show nothing until the end, so every run looks at the clock (~25 ns, nothing next to a run's own cost).
    if (!this.sink) return;
    const now = Date.now();
    if (now - this.lastDraw >= 100) this.draw(now);
  }

  /** Runs another process took: they leave the total. */
  leave(n: number): void {
    this.total -= n;
  }

  /** Sets the counts at once (the queue and Slurm backends poll them). */
  set(done: number, failed: number, total = this.total, note?: string): void {
    this.done = done;
    this.failed = failed;
    this.total = total;
    this.note = note;
    this.draw(Date.now());
  }

  get state(): ProgressState {
    const elapsedMs = Date.now() - this.started;
    const rate = elapsedMs > 0 ? (this.done * 1000) / elapsedMs : 0;
    return {
      total: this.total,
      done: this.done,
      failed: this.failed,
      rate,
      etaSeconds: rate > 0 ? Math.max(0, (this.total - this.done) / rate) : null,
      elapsedMs,
      ...(this.note ? { note: this.note } : {}),
    };
  }

  private draw(now: number): void {
    this.lastDraw = now;
    this.sink?.update(this.state);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sink?.stop(this.state);
  }
}

function makeSink(s: ProgressSettings): ProgressSink | null {
  const option = s.progress ?? 'auto';
  if (s.quiet || option === false) return null;
  if (typeof option === 'object') return option;
  const stream = s.stream ?? process.stderr;
  const bar = option === 'bar' || ((option === 'auto' || option === true) && stream.isTTY === true);
  return bar
    ? new BarSink(stream, s.delayMs ?? 1000)
    : new LineSink(stream, s.lineEveryMs ?? 10_000, s.delayMs ?? 1000);
}

/** `12 s`, `3 min 4 s` */
export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The plain line printed without a terminal. */
export function progressLine(p: ProgressState): string {
  return (
    `lockstep: ${p.done}/${p.total} runs, ${p.failed} failed, ` +
    `${p.rate >= 10 ? Math.round(p.rate) : p.rate.toFixed(1)} runs/s, ETA ${formatSeconds(p.etaSeconds)}` +
    (p.note ? ` (${p.note})` : '')
  );
}

class LineSink implements ProgressSink {
  private last = 0;
  private printed = false;
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly everyMs: number,
    private readonly delayMs: number,
  ) {}
  update(p: ProgressState): void {
    // the first line as soon as the delay has passed, then one per interval
    if (p.elapsedMs < this.delayMs || (this.printed && p.elapsedMs - this.last < this.everyMs)) return;
    this.last = p.elapsedMs;
    this.printed = true;
    this.stream.write(`${progressLine(p)}\n`);
  }
  stop(p: ProgressState): void {
    // A final line only when there were lines before it: short runs stay silent.
    if (this.printed) this.stream.write(`${progressLine({ ...p, etaSeconds: 0 })} (finished)\n`);
  }
}

class BarSink implements ProgressSink {
  private bar: cliProgress.SingleBar | null = null;
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly delayMs: number,
  ) {}
  private payload(p: ProgressState) {
    return {
      failed: p.failed,
      rate: p.rate >= 10 ? Math.round(p.rate) : p.rate.toFixed(1),
      etaText: formatSeconds(p.etaSeconds),
      note: p.note ? ` | ${p.note}` : '',
    };
  }
  update(p: ProgressState): void {
    if (!this.bar) {
      if (p.elapsedMs < this.delayMs) return;
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format: '{bar} {value}/{total} runs | {failed} failed | {rate}/s | ETA {etaText}{note}',
          barsize: 24,
          hideCursor: true,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(p.total, p.done, this.payload(p));
      return;
    }
    this.bar.setTotal(p.total);
    this.bar.update(p.done, this.payload(p));
  }
  stop(p: ProgressState): void {
    if (!this.bar) return;
    this.bar.update(p.done, this.payload(p));
    this.bar.stop();
  }
}
