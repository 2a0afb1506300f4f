import { describe, expect, it } from "vitest";
import { inspect } from "node:util";
import { RestError } from "@azure/storage-blob";
import { AzureErrorDetail, mapAzureError } from "../src/index.js";
import type { AzureOperation } from "../src/index.js";
import { NotFoundError, StoreError } from "@wal/core";

const SECRET_SIG = "U2lnbmF0dXJlVGhhdE11c3ROb3RMZWFr";
const SAS_SIG = "SasSignatureValue";

/** A RestError shaped like the ones the storage SDK throws, carrying a signed request. */
function restError(statusCode: number | undefined, code: string | undefined, message = "boom\nRequestId:r1\nTime:t"): RestError {
  const headers = new Map([["authorization", `SharedKey acct:${SECRET_SIG}`]]);
  const request = {
    url: `https://acct.blob.core.windows.net/c/k?sv=1&sig=${SAS_SIG}`,
    method: "PUT",
    headers: { get: (n: string) => headers.get(n), toJSON: () => Object.fromEntries(headers) },
  };
  return new RestError(message, { statusCode, code, request: request as never });
}

function map(e: unknown, operation: AzureOperation = "get") {
  return mapAzureError(e, { backend: "azure", operation, key: "a/b", secrets: ["TOPSECRETKEY"] });
}

describe("mapAzureError", () => {
  const cases: Array<[string, AzureOperation, number | undefined, string | undefined, string]> = [
    ["Azurite create conflict", "put-create", 409, "BlobAlreadyExists", "AlreadyExists"],
    ["Azure create conflict", "put-create", 412, "ConditionNotMet", "AlreadyExists"],
    ["stale etag", "put-update", 412, "ConditionNotMet", "PreconditionFailed"],
    ["update of a missing blob", "put-update", 404, "BlobNotFound", "PreconditionFailed"],
    ["update in a missing container", "put-update", 404, "ContainerNotFound", "NotFound"],
    ["missing blob", "get", 404, "BlobNotFound", "NotFound"],
    ["missing container", "list", 404, "ContainerNotFound", "NotFound"],
    ["HEAD 404 without a code", "head", 404, undefined, "NotFound"],
    ["bad signature", "get", 403, "AuthenticationFailed", "Unauthenticated"],
    ["no credentials", "get", 401, "NoAuthenticationInformation", "Unauthenticated"],
    ["RBAC mismatch", "get", 403, "AuthorizationPermissionMismatch", "PermissionDenied"],
    ["not authorized", "put-overwrite", 403, "AuthorizationFailure", "PermissionDenied"],
    ["throttled", "put-overwrite", 503, "ServerBusy", "Unavailable"],
    ["too many requests", "get", 429, undefined, "Unavailable"],
    ["server error", "get", 500, "InternalError", "Unavailable"],
    ["request timeout", "get", 408, undefined, "Unavailable"],
    ["operation timed out", "get", 500, "OperationTimedOut", "Unavailable"],
    ["connection reset", "get", undefined, "ECONNRESET", "Unavailable"],
    ["connection refused", "head", undefined, "ECONNREFUSED", "Unavailable"],
    ["not implemented", "get", 501, "NotImplemented", "NotImplemented"],
    ["bad request", "get", 400, "InvalidQueryParameterValue", "Generic"],
    ["lease conflict", "put-overwrite", 409, "LeaseIdMissing", "Generic"],
    ["412 outside a conditional put", "get", 412, "ConditionNotMet", "PreconditionFailed"],
  ];
  for (const [what, operation, status, code, expected] of cases) {
    it(`${what}: ${status ?? "-"} ${code ?? "-"} -> ${expected}`, () => {
      const mapped = map(restError(status, code), operation);
      expect(mapped).toBeInstanceOf(StoreError);
      expect(mapped.code).toBe(expected);
      expect(mapped.retryable).toBe(expected === "Unavailable");
      expect(mapped.backend).toBe("azure");
      expect(mapped.key).toBe("a/b");
    });
  }

  it("treats Azurite's 403 'failed to authenticate' as Unauthenticated", () => {
    const e = restError(403, "AuthorizationFailure", "Server failed to authenticate the request. Make sure ...");
    expect(map(e).code).toBe("Unauthenticated");
  });

  it("maps timeouts and unknown throwables", () => {
    const timeout = Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" });
    expect(map(timeout).code).toBe("Unavailable");
    expect(map("weird").code).toBe("Generic");
    expect(map(new TypeError("x")).code).toBe("Generic");
  });

  it("reads a network code from the error's cause", () => {
    const e = new Error("fetch failed", { cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }) });
    expect(map(e).code).toBe("Unavailable");
  });

  it("passes a StoreError through unchanged", () => {
    const original = new NotFoundError("gone", { backend: "azure", key: "k" });
    expect(map(original)).toBe(original);
  });

  it("keeps a sanitized cause: no request, no signature, no SAS, no known secret", () => {
    const e = restError(403, "AuthenticationFailed", `Server failed. MAC signature found in the HTTP request '${SECRET_SIG}' differs. TOPSECRETKEY`);
    const mapped = map(e);
    expect(mapped.cause).toBeInstanceOf(AzureErrorDetail);
    const cause = mapped.cause as AzureErrorDetail;
    expect(cause.statusCode).toBe(403);
    expect(cause.code).toBe("AuthenticationFailed");
    expect("request" in cause).toBe(false);
    const printed = [inspect(mapped, { depth: 10 }), String(mapped), JSON.stringify(mapped), mapped.message, cause.message].join("\n");
    expect(printed).not.toContain(SECRET_SIG);
    expect(printed).not.toContain(SAS_SIG);
    expect(printed).not.toContain("TOPSECRETKEY");
    expect(printed).not.toMatch(/authorization/i);
  });

  it("drops the service's RequestId/Time lines from the message but keeps the id", () => {
    const e = restError(404, "BlobNotFound", "The specified blob does not exist.\nRequestId:abc\nTime:now");
    (e as { details?: unknown }).details = { errorCode: "BlobNotFound", requestId: "abc" };
    const mapped = map(e);
    expect(mapped.message).toContain("The specified blob does not exist.");
    expect(mapped.message).not.toContain("Time:");
    expect((mapped.cause as AzureErrorDetail).requestId).toBe("abc");
  });
});
