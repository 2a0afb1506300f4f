import { describe, expect, it } from "vitest";
import { ApiError } from "@google-cloud/storage";
import { NotFoundError, UnavailableError } from "@wal/core";
import { mapGcsError } from "../src/index.js";

function apiError(code: number, reason: string, message = "server says no"): ApiError {
  return new ApiError({ code, message, errors: [{ reason, message }] } as never);
}

describe("mapGcsError", () => {
  it("maps 404 to NotFound with key and backend", () => {
    const e = mapGcsError(apiError(404, "notFound"), { operation: "get", key: "a/b" });
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e).toMatchObject({ code: "NotFound", key: "a/b", backend: "gcs" });
    expect(e.message).toContain("a/b");
  });

  it("maps 412 to AlreadyExists for create and PreconditionFailed for update", () => {
    expect(mapGcsError(apiError(412, "conditionNotMet"), { operation: "create", key: "k" }).code).toBe("AlreadyExists");
    expect(mapGcsError(apiError(412, "conditionNotMet"), { operation: "update", key: "k" }).code).toBe("PreconditionFailed");
  });

  it.each([
    [401, "required", "Unauthenticated"],
    [403, "forbidden", "PermissionDenied"],
    [408, "requestTimeout", "Unavailable"],
    [429, "rateLimitExceeded", "Unavailable"],
    [500, "backendError", "Unavailable"],
    [503, "backendError", "Unavailable"],
    [400, "invalid", "Generic"],
    [409, "conflict", "Generic"],
  ])("maps HTTP %i (%s) to %s", (status, reason, code) => {
    const mapped = mapGcsError(apiError(status, reason), { operation: "overwrite", key: "k" });
    expect(mapped.code).toBe(code);
    expect(mapped.retryable).toBe(code === "Unavailable");
  });

  it("maps socket failures and timeouts to Unavailable", () => {
    for (const code of ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE"]) {
      const err = Object.assign(new Error(`connect ${code}`), { code });
      expect(mapGcsError(err, { operation: "head", key: "k" })).toBeInstanceOf(UnavailableError);
    }
    const fetchTimeout = Object.assign(new Error("network timeout"), { type: "request-timeout" });
    expect(mapGcsError(fetchTimeout, { operation: "get", key: "k" }).code).toBe("Unavailable");
    const wrapped = new Error("outer", { cause: Object.assign(new Error("inner"), { code: "ECONNRESET" }) });
    expect(mapGcsError(wrapped, { operation: "list" }).code).toBe("Unavailable");
  });

  it("maps missing default credentials to Unauthenticated", () => {
    const e = new Error("Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication");
    expect(mapGcsError(e, { operation: "get", key: "k" }).code).toBe("Unauthenticated");
  });

  it("keeps the original error as cause and never throws on odd input", () => {
    const original = apiError(500, "backendError");
    expect(mapGcsError(original, { operation: "get", key: "k" }).cause).toBe(original);
    for (const odd of [undefined, null, "text", 42, {}]) {
      expect(mapGcsError(odd, { operation: "get" }).code).toBe("Generic");
    }
  });

  it("shows the server's message from a raw JSON error body", () => {
    const err = Object.assign(new Error(JSON.stringify({ error: { code: 404, message: "No such object: b/k" } })), { code: 404 });
    expect(mapGcsError(err, { operation: "get", key: "k" }).message).toContain("No such object: b/k");
  });

  it("returns a StoreError unchanged", () => {
    const e = new NotFoundError("x", { backend: "gcs", key: "k" });
    expect(mapGcsError(e, { operation: "get", key: "k" })).toBe(e);
  });
});
