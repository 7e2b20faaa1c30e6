/** A CLI sub-command. */
export interface Command {
  readonly name: string;
  /** One line for `manytask --help`. */
  readonly summary: string;
  /** Full usage text for `manytask <name> --help`. */
  readonly usage: string;
  /** Returns the process exit code. Throw typed errors (MtlError) for bad input. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** Where a command writes; tests capture it. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** True when stdout is a terminal (progress bars vs plain log lines). */
  readonly isTTY: boolean;
}
