// What the user is told when the store cannot be written: the disk is full,
// over quota or read-only. One line naming the file, never an errno dump or
// the exit status of a script g had to stop.

import { GError, EXIT } from "../errors.js";

/** The store could not be written (exit 1: the run, or the command, failed). */
export class StoreWriteError extends GError {
  constructor(
    message: string,
    readonly path: string,
    readonly code: string | undefined,
  ) {
    super(message, EXIT.runFailed);
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EIO: "input/output error",
};

/** `err` from writing `path` as a StoreWriteError (a GError passes through unchanged). */
export function toStoreWriteError(err: unknown, path: string): GError {
  if (err instanceof GError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const reason = code ? REASONS[code] : undefined;
  if (!reason) return new StoreWriteError(`cannot write ${path} (${code ?? (err as Error)?.message ?? String(err)})`, path, code);
  const advice = code === "ENOSPC" || code === "EDQUOT" ? "; free space and rerun" : "";
  return new StoreWriteError(`${reason} writing ${path}${advice}`, path, code);
}
