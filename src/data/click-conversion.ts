/**
 * Click → conversion consistency for the recommendation logs (Ali-CCP, AliExpress): a conversion
 * without a click is corrupt data, and the post-click conversion rate (CVR, as in ESMM) is only
 * defined on clicked impressions.
 */
import type { OptionSpec } from '../core/options.js';
import { dataError } from './data-error.js';
import type { ColumnTable, NumColumn } from './table.js';

/** The `cvrOnClicks` option of a loader whose task `conversion` follows a click task. */
export function cvrOnClicksOption(conversion: string): OptionSpec {
  return {
    type: 'boolean',
    default: false,
    description: `mask \`${conversion}\` on unclicked rows (CVR) instead of CTCVR over impressions`,
  };
}

/**
 * Checks that no row converts without a click and, when `cvrOnClicks`, masks the conversion label
 * of unclicked rows (so the task is CVR over clicks; otherwise it is CTCVR over impressions).
 *
 * @throws DataError naming the first line where conversion = 1 and click = 0.
 */
export function applyClickConversion(
  table: ColumnTable,
  click: string,
  conversion: string,
  cvrOnClicks: boolean,
): void {
  const c = (table.columns.get(click) as NumColumn).values;
  const v = (table.columns.get(conversion) as NumColumn).values;
  for (let i = 0; i < table.n; i++) {
    if (v[i] === 1 && c[i] !== 1) {
      throw dataError(
        {
          file: table.file,
          line: table.lines[i] as number,
          lineKind: table.lineKind,
          column: conversion,
        },
        `row has a conversion without a click (click ${String(c[i])})`,
        'a conversion implies a click in these logs: fix the labels or check the column order',
      );
    }
    if (cvrOnClicks && c[i] !== 1) v[i] = Number.NaN;
  }
}
