// Error classes that carry their exit code (shared/DESIGN.md). Commands throw
// these; only src/cli turns them into a message and an exit code.

export const EXIT = {
  ok: 0,
  runFailed: 1,
  usage: 2,
  notFound: 3,
  busy: 75,
  interrupted: 130,
} as const;

export class GError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad usage or input: exit 2. The message says what was wrong and what to do. */
export class UsageError extends GError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** A run (or sweep) that was asked for does not exist: exit 3. */
export class NotFoundError extends GError {
  constructor(message: string) {
    super(message, EXIT.notFound);
  }
}

/** The store stayed locked past the timeout: exit 75. */
export class BusyError extends GError {
  constructor(message: string) {
    super(message, EXIT.busy);
  }
}

/** A run (or a batch's trial) failed: exit 1, after the summary was printed. */
export class RunFailedError extends GError {
  constructor(message: string) {
    super(message, EXIT.runFailed);
  }
}

/** Interrupted by the user (Ctrl-C): exit 130. */
export class InterruptedError extends GError {
  constructor(message = "interrupted") {
    super(message, EXIT.interrupted);
  }
}
