/** CLI dispatch and error → exit-code mapping (separate from main.ts so tests can call it). */
import { MtlError } from '../core/errors.js';
import { commands } from './commands/index.js';
import type { CliIo } from './commands/types.js';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  return [
    'manytask: multi-task learning for TypeScript',
    '',
    'Usage: manytask <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `manytask <command> --help` for the options of a command.',
  ].join('\n');
}

/** Exit code for an error: 2 for bad input or configuration, 1 otherwise. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof MtlError) return err.code === 'numerical' || err.code === 'solver' ? 1 : 2;
  return 1;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help() + '\n');
    return name === undefined ? 2 : 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (cmd === undefined) {
    io.stderr(
      `manytask: unknown command '${name}'. Commands: ${commands.map((c) => c.name).join(', ')}\n`,
    );
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(cmd.usage + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof MtlError) {
      io.stderr(`manytask ${name}: ${err.message}\n`);
    } else {
      const msg = err instanceof Error ? err.message : String(err);
      io.stderr(`manytask ${name}: internal error: ${msg}\n`);
      if (process.env['MANYTASK_DEBUG'] === '1' && err instanceof Error && err.stack)
        io.stderr(err.stack + '\n');
      else io.stderr('Set MANYTASK_DEBUG=1 for the stack trace, and please report it.\n');
    }
    return exitCodeFor(err);
  }
}
