/** Append-only typed arrays for streaming readers (column builders, metric meters). */

/**
 * A typed array that doubles its capacity when full, so n pushes cost O(n) copies in total.
 * `data` is the backing store (longer than `n` in general); `done()` copies the filled part,
 * `view()` aliases it until the next push.
 */
export class GrowArray<A extends Float64Array | Int32Array> {
  data: A;
  n = 0;
  private readonly make: new (length: number) => A;
  constructor(make: new (length: number) => A, capacity = 1024) {
    this.make = make;
    this.data = new make(capacity);
  }
  push(x: number): void {
    if (this.n === this.data.length) {
      const next = new this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = x;
  }
  /** A copy of the `n` filled entries. */
  done(): A {
    return this.data.slice(0, this.n) as A;
  }
  /** The `n` filled entries without a copy (invalid after the next `push`). */
  view(): A {
    return this.data.subarray(0, this.n) as A;
  }
}
