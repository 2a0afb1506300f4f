import {
  AlreadyExistsError,
  GenericStoreError,
  NotFoundError,
  PermissionDeniedError,
  StoreError,
  UnavailableError,
  WalError,
} from "@wal/core";

/** What the failed call was doing; decides how "this path is a directory" errors read. */
export type FsOperation = "put" | "get" | "head" | "list" | "delete";

/**
 * The one place where Node `fs` errors become the closed store error set. Errors that already are
 * store or WAL errors pass through unchanged. Messages name the key, never the absolute root path.
 */
export function mapFsError(error: unknown, backend: string, op: FsOperation, key: string): Error {
  if (error instanceof StoreError || error instanceof WalError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const options = { backend, key, cause: error };
  const what = `${backend} ${op} of ${JSON.stringify(key)}`;
  switch (code) {
    case "ENOENT":
      return new NotFoundError(`${what}: object not found`, options);
    // Reading a key that is a directory, or whose parent is a file: no object lives there.
    case "EISDIR":
    case "ENOTDIR":
      return op === "put"
        ? new GenericStoreError(`${what}: a path segment collides with an existing object or directory (${code})`, options)
        : new NotFoundError(`${what}: object not found (${code})`, options);
    case "EEXIST":
      return new AlreadyExistsError(`${what}: object already exists`, options);
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new PermissionDeniedError(`${what}: permission denied (${code})`, options);
    case "EMFILE":
    case "ENFILE":
    case "EAGAIN":
    case "EBUSY":
    case "EINTR":
      return new UnavailableError(`${what}: temporarily unavailable (${code})`, options);
    default:
      return new GenericStoreError(`${what} failed${code ? ` (${code})` : ""}`, options);
  }
}
