/** A bad environment variable or command-line argument: the command exits with code 2, like a shell usage error. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** An expected failure whose message says all an operator needs: logged without a stack trace, exit status 1. */
export class BackupFailure extends Error {
  override readonly name: string = "BackupFailure";
}

/** A backup file that cannot be trusted: missing, truncated, altered, or inconsistent with its manifest. */
export class BackupIntegrityError extends BackupFailure {
  override readonly name = "BackupIntegrityError";
}

/** A restore or verify that ran but whose result differs from what the manifest recorded. */
export class RestoreMismatchError extends BackupFailure {
  override readonly name = "RestoreMismatchError";
}
