/**
 * Progress output: a one-line bar with ETA redrawn in place (`\r`) on a terminal, plain log lines
 * otherwise (CI logs, pipes, files), where redrawing would only add noise.
 */
import type { CliIo } from './commands/types.js';

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  readonly io: CliIo;
  /** Total units of work (e.g. optimiser steps of all runs). */
  readonly total: number;
  /** Short prefix, e.g. `pcgrad seed 1`. */
  readonly label?: string;
  /** Milliseconds clock; injectable for tests. */
  readonly now?: () => number;
  /** Bar width in characters (TTY). */
  readonly width?: number;
  /** Least milliseconds between two redraws on a terminal. */
  readonly minRedrawMs?: number;
}

/** A progress reporter. */
export interface Progress {
  /** Sets the units done so far and an optional status text (e.g. `loss 0.412`). */
  update(done: number, status?: string): void;
  /** Changes the label (next run of a bench). */
  setLabel(label: string): void;
  /**
   * Prints a line (epoch summaries, notes). On a terminal the bar is cleared first and redrawn
   * after; elsewhere this is the only output.
   */
  log(line: string): void;
  /** Ends the bar (final redraw and newline on a terminal). */
  done(): void;
}

/** `h:mm:ss` or `m:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * Remaining time by linear extrapolation of the elapsed time per unit done; undefined before
 * the first unit (no rate yet).
 */
export function estimateEta(done: number, total: number, elapsedMs: number): number | undefined {
  if (done <= 0 || total <= 0) return undefined;
  return ((elapsedMs / done) * Math.max(0, total - done)) / 1000;
}

/** Creates a progress reporter writing to `io.stdout`. */
export function createProgress(options: ProgressOptions): Progress {
  const { io, total } = options;
  const now = options.now ?? (() => performance.now());
  const width = options.width ?? 28;
  const minRedraw = options.minRedrawMs ?? 100;
  const start = now();
  let label = options.label ?? '';
  let done = 0;
  let status = '';
  let lastDraw = -Infinity;
  let drawn = false;
  let lastLen = 0;

  const line = (): string => {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const fill = Math.round(frac * width);
    const eta = estimateEta(done, total, now() - start);
    const pct = `${Math.floor(frac * 100)}%`.padStart(4);
    return [
      label !== '' ? `${label} ` : '',
      `[${'█'.repeat(fill)}${'░'.repeat(width - fill)}] ${pct} ${done}/${total}`,
      ` elapsed ${formatDuration((now() - start) / 1000)}`,
      ` ETA ${eta === undefined ? '--:--' : formatDuration(eta)}`,
      status !== '' ? `  ${status}` : '',
    ].join('');
  };
  const draw = (): void => {
    const text = line();
    // Pad over the remains of a longer previous line instead of relying on terminal escapes.
    io.stdout(`\r${text}${' '.repeat(Math.max(0, lastLen - text.length))}`);
    lastLen = text.length;
    drawn = true;
    lastDraw = now();
  };
  const clear = (): void => {
    if (drawn) io.stdout(`\r${' '.repeat(lastLen)}\r`);
    drawn = false;
    lastLen = 0;
  };

  return {
    update(d, s) {
      done = d;
      if (s !== undefined) status = s;
      if (io.isTTY && (now() - lastDraw >= minRedraw || done >= total)) draw();
    },
    setLabel(l) {
      label = l;
    },
    log(text) {
      if (io.isTTY) {
        clear();
        io.stdout(text + '\n');
        draw();
      } else {
        io.stdout(text + '\n');
      }
    },
    done() {
      if (io.isTTY) {
        draw();
        io.stdout('\n');
        drawn = false;
        lastLen = 0;
      }
    },
  };
}
