#!/usr/bin/env node
/** The `manytask` executable. */
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: process.stdout.isTTY === true,
});
process.exitCode = code;
