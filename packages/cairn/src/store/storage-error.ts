import { CairnError, isCairnError } from "../errors.js";

/**
 * Turns a database driver's error into a CairnError, the same for SQLite and
 * PostgreSQL (BullMQ's one mapper), so callers never see a driver's code.
 */
export function toStorageError(err: unknown, action: string): CairnError {
  if (isCairnError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const reason = err instanceof Error ? err.message : String(err);
  switch (code) {
    case "SQLITE_CONSTRAINT_PRIMARYKEY":
    case "SQLITE_CONSTRAINT_UNIQUE":
    case "23505": // unique_violation
      return new CairnError("conflict", `${action} failed: a record with the same key already exists (${reason})`, {
        cause: err,
      });
    case "SQLITE_CONSTRAINT_FOREIGNKEY":
    case "23503": // foreign_key_violation
      return new CairnError("not_found", `${action} failed: it refers to a run or execution that does not exist`, {
        cause: err,
      });
    case "SQLITE_BUSY":
    case "40001": // serialization_failure
    case "40P01": // deadlock_detected
      return new CairnError("conflict", `${action} failed: the database was busy with another writer (${reason})`, {
        cause: err,
      });
    default:
      return new CairnError("internal", `${action} failed: ${reason}`, { cause: err });
  }
}
