import { describe, expect, it } from 'vitest';
import type { CliIo } from './commands/types.js';
import { createProgress, estimateEta, formatDuration } from './progress.js';

function capture(isTTY: boolean): { io: CliIo; out: () => string } {
  let text = '';
  return {
    io: { stdout: (t) => (text += t), stderr: () => undefined, isTTY },
    out: () => text,
  };
}

describe('formatDuration / estimateEta', () => {
  it('formats seconds', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65.4)).toBe('1:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(NaN)).toBe('--:--');
  });
  it('extrapolates linearly', () => {
    expect(estimateEta(25, 100, 10_000)).toBe(30);
    expect(estimateEta(0, 100, 10_000)).toBeUndefined();
    expect(estimateEta(100, 100, 10_000)).toBe(0);
  });
});

describe('createProgress', () => {
  it('draws a bar with ETA in place on a terminal', () => {
    const { io, out } = capture(true);
    let t = 0;
    const p = createProgress({ io, total: 10, label: 'ew', now: () => t, width: 10 });
    t = 2000;
    p.update(5, 'loss 0.5');
    const text = out();
    expect(text.startsWith('\r')).toBe(true);
    expect(text).toContain('ew [█████░░░░░]  50% 5/10 elapsed 0:02 ETA 0:02  loss 0.5');
    expect(text).not.toContain('\n');
  });

  it('throttles redraws but always draws the last unit', () => {
    const { io, out } = capture(true);
    let t = 0;
    const p = createProgress({ io, total: 3, now: () => t, minRedrawMs: 100 });
    t = 200;
    p.update(1);
    t = 250;
    p.update(2); // within 100 ms of the previous draw: skipped
    t = 260;
    p.update(3); // the end is always drawn
    expect(
      out()
        .split('\r')
        .filter((s) => s.includes('/3'))
        .map((s) => /(\d)\/3/.exec(s)?.[1]),
    ).toEqual(['1', '3']);
  });

  it('clears the bar before a log line and redraws it after', () => {
    const { io, out } = capture(true);
    let t = 0;
    const p = createProgress({ io, total: 4, now: () => t, width: 4 });
    t = 1000;
    p.update(2);
    p.log('epoch 1 done');
    p.done();
    const parts = out().split('epoch 1 done\n');
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatch(/\r +\r$/);
    expect(parts[1]).toMatch(/^\r\[██░░\]  50% 2\/4/);
    expect(out().endsWith('\n')).toBe(true);
  });

  it('prints only plain log lines when not a terminal', () => {
    const { io, out } = capture(false);
    const p = createProgress({ io, total: 4 });
    p.update(1, 'x');
    p.update(2);
    p.log('epoch 1/2  loss 0.41');
    p.done();
    expect(out()).toBe('epoch 1/2  loss 0.41\n');
  });
});
