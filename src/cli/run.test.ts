// Bad flags are usage errors for every command: one line naming the flag and the command's help,
// exit code 2 (node:util's parseArgs throws plain TypeErrors, which would otherwise read as an
// internal error).
import { describe, expect, it } from 'vitest';
import { commands } from './commands/index.js';
import { runCli } from './run.js';
import type { CliIo } from './commands/types.js';

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: (t) => (out += t), stderr: (t) => (err += t), isTTY: false },
    out: () => out,
    err: () => err,
  };
}

describe('runCli: unknown flags', () => {
  it.each(commands.map((c) => [c.name] as const))('%s --bogus → exit 2, one line', async (name) => {
    const cap = capture();
    expect(await runCli([name, '--bogus'], cap.io)).toBe(2);
    expect(cap.out()).toBe('');
    expect(cap.err()).toMatch(
      new RegExp(
        `^manytask ${name}: Unknown option '--bogus'.*\\(run \`manytask ${name} --help\`\\)\\n$`,
      ),
    );
  });

  it("names the '=' form for a value that starts with '-'", async () => {
    const cap = capture();
    expect(await runCli(['toy', '--lr', '-0.1'], cap.io)).toBe(2);
    expect(cap.err()).toContain("(a value starting with '-' needs '=': use --lr=-0.1)");
  });
});
