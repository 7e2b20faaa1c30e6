/** Every CLI command. Add one import and one array element per command. */
import { aggregateCommand } from './aggregate.js';
import { benchCommand } from './bench.js';
import { listCommand } from './list.js';
import { perfCommand } from './perf.js';
import { reportCommand } from './report.js';
import { trainCommand } from './train.js';
import { toyCommand } from './toy.js';
import type { Command } from './types.js';

export const commands: readonly Command[] = [
  listCommand,
  perfCommand,
  reportCommand,
  toyCommand,
  trainCommand,
  benchCommand,
  aggregateCommand,
];
