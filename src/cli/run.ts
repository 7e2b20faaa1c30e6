/** CLI dispatch and error → exit-code mapping (separate from main.ts so tests can call it). */
import { ConfigError, MtlError } from '../core/errors.js';
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

/**
 * A flag `node:util`'s `parseArgs` rejected (a plain `TypeError` with an `ERR_PARSE_ARGS_*` code)
 * as the usage error it is (exit code 2), with the hint for a value that starts with '-'.
 */
function usageError(name: string, argv: readonly string[], err: unknown): ConfigError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS'))
    return undefined;
  const i = argv.findIndex((a, j) => j > 0 && /^-\d/.test(a));
  const hint = i > 0 ? ` (a value starting with '-' needs '=': use ${argv[i - 1]}=${argv[i]})` : '';
  return new ConfigError(`${err.message.split('\n')[0]}${hint} (run \`manytask ${name} --help\`)`);
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
  } catch (thrown) {
    const err = usageError(name, rest, thrown) ?? thrown;
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
