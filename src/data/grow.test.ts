import { describe, expect, it } from 'vitest';
import { GrowArray } from './grow.js';

describe('GrowArray', () => {
  it('keeps every pushed value across capacity doublings', () => {
    const a = new GrowArray(Int32Array, 2);
    for (let i = 0; i < 37; i++) a.push(i * 3 - 5);
    expect(a.n).toBe(37);
    expect(a.data.length).toBe(64);
    expect(Array.from(a.done())).toEqual(Array.from({ length: 37 }, (_, i) => i * 3 - 5));
  });

  it('done() copies, view() aliases the filled part', () => {
    const a = new GrowArray(Float64Array, 4);
    [0.5, -1.25, 3].forEach((x) => a.push(x));
    const copy = a.done();
    const view = a.view();
    expect(copy).toBeInstanceOf(Float64Array);
    expect(Array.from(view)).toEqual([0.5, -1.25, 3]);
    a.data[0] = 9;
    expect(copy[0]).toBe(0.5);
    expect(view[0]).toBe(9);
  });
});
