import { describe, expect, it } from "vitest";
import { NotFoundError, UnavailableError } from "@wal/core";
import { mapFsError } from "../src/index.js";

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: /secret/root/path`), { code });

describe("mapFsError", () => {
  it.each([
    ["ENOENT", "get", "NotFound"],
    ["EEXIST", "put", "AlreadyExists"],
    ["EACCES", "get", "PermissionDenied"],
    ["EPERM", "delete", "PermissionDenied"],
    ["EMFILE", "put", "Unavailable"],
    ["EAGAIN", "get", "Unavailable"],
    ["EBUSY", "put", "Unavailable"],
    ["EISDIR", "get", "NotFound"],
    ["ENOTDIR", "head", "NotFound"],
    ["EISDIR", "put", "Generic"],
    ["ENOSPC", "put", "Generic"],
    ["EIO", "get", "Generic"],
  ] as const)("maps %s during %s to %s, naming the key and keeping the cause", (code, op, expected) => {
    const cause = errno(code);
    const mapped = mapFsError(cause, "fs", op, "a/b") as Error & { code: string; key: string; backend: string };
    expect(mapped.code).toBe(expected);
    expect(mapped.key).toBe("a/b");
    expect(mapped.backend).toBe("fs");
    expect(mapped.cause).toBe(cause);
    expect(mapped.message).not.toContain("/secret/root");
  });

  it("marks only Unavailable as retryable and passes store errors through", () => {
    expect((mapFsError(errno("EMFILE"), "fs", "get", "k") as UnavailableError).retryable).toBe(true);
    expect((mapFsError(errno("EIO"), "fs", "get", "k") as UnavailableError).retryable).toBe(false);
    const original = new NotFoundError("x", { backend: "fs", key: "k" });
    expect(mapFsError(original, "fs", "get", "k")).toBe(original);
    expect(mapFsError("a string", "fs", "get", "k")).toMatchObject({ code: "Generic" });
  });
});
