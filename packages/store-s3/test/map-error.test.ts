import { describe, expect, it } from "vitest";
import { NoSuchKey, S3ServiceException } from "@aws-sdk/client-s3";
import {
  AlreadyExistsError,
  GenericStoreError,
  NotFoundError,
  PermissionDeniedError,
  PreconditionFailedError,
  UnauthenticatedError,
  UnavailableError,
} from "@wal/core";
import { mapS3Error } from "../src/index.js";
import type { S3Operation } from "../src/index.js";

/** An error shaped like what the SDK throws for a service response. */
function serviceError(name: string, status: number, message = "UnknownError"): S3ServiceException {
  return new S3ServiceException({ name, message, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status, requestId: "req-1" } });
}

function networkError(code: string): Error {
  return Object.assign(new Error(`socket trouble ${code}`), { code });
}

const map = (e: unknown, operation: S3Operation = "get") => mapS3Error(e, { backend: "s3", operation, key: "wal/1.arrow" });

describe("mapS3Error", () => {
  it("412 on create is AlreadyExists, on update PreconditionFailed", () => {
    const e = serviceError("PreconditionFailed", 412);
    expect(map(e, "put-create")).toBeInstanceOf(AlreadyExistsError);
    expect(map(e, "put-update")).toBeInstanceOf(PreconditionFailedError);
  });

  it("missing objects are NotFound, a missing bucket is not", () => {
    expect(map(new NoSuchKey({ message: "gone", $metadata: { httpStatusCode: 404 } }))).toBeInstanceOf(NotFoundError);
    expect(map(serviceError("NotFound", 404), "head")).toBeInstanceOf(NotFoundError);
    const bucket = map(serviceError("NoSuchBucket", 404));
    expect(bucket).toBeInstanceOf(GenericStoreError);
    expect(bucket.message).toMatch(/bucket does not exist/);
  });

  it.each([
    ["SlowDown", 503],
    ["ServiceUnavailable", 503],
    ["InternalError", 500],
    ["UnknownError", 500],
    ["BadGateway", 502],
    ["GatewayTimeout", 504],
    ["ConditionalRequestConflict", 409],
    ["RequestTimeout", 400],
  ])("%s (HTTP %i) is Unavailable and retryable", (name, status) => {
    const mapped = map(serviceError(name, status), "put-update");
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect(mapped.retryable).toBe(true);
  });

  it.each(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE"])("network error %s is Unavailable", (code) => {
    expect(map(networkError(code))).toBeInstanceOf(UnavailableError);
  });

  it("an SDK timeout is Unavailable", () => {
    expect(map(Object.assign(new Error("timed out"), { name: "TimeoutError" }))).toBeInstanceOf(UnavailableError);
  });

  it.each(["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"])("%s is Unauthenticated", (name) => {
    expect(map(serviceError(name, 403))).toBeInstanceOf(UnauthenticatedError);
  });

  it("other 403s are PermissionDenied", () => {
    expect(map(serviceError("AccessDenied", 403))).toBeInstanceOf(PermissionDeniedError);
    expect(map(serviceError("Forbidden", 403), "head")).toBeInstanceOf(PermissionDeniedError);
  });

  it("anything else is Generic with the cause kept", () => {
    const original = serviceError("InvalidArgument", 400, "bad header");
    const mapped = map(original);
    expect(mapped).toBeInstanceOf(GenericStoreError);
    expect(mapped.cause).toBe(original);
    expect(map("a string")).toBeInstanceOf(GenericStoreError);
    expect(map(undefined)).toBeInstanceOf(GenericStoreError);
  });

  it("names the backend, operation, key, S3 error name, status and request id", () => {
    const mapped = map(serviceError("SlowDown", 503, "Please reduce your request rate."), "put-create");
    expect(mapped.backend).toBe("s3");
    expect(mapped.key).toBe("wal/1.arrow");
    expect(mapped.message).toBe(
      "s3 put-create wal/1.arrow: temporarily unavailable (SlowDown, HTTP 503, request req-1): Please reduce your request rate.",
    );
  });

  it("drops the empty placeholder messages Ceph produces", () => {
    expect(map(serviceError("InternalError", 500, "UnknownError")).message).not.toMatch(/UnknownError/);
  });

  it("passes StoreErrors through", () => {
    const already = new NotFoundError("x", { backend: "s3" });
    expect(map(already)).toBe(already);
  });
});

describe("mapS3Error labels", () => {
  it("names a network error by its code", () => {
    const mapped = mapS3Error(networkError("ECONNREFUSED"), { backend: "s3", operation: "head", key: "k" });
    expect(mapped.message).toBe("s3 head k: temporarily unavailable (ECONNREFUSED): socket trouble ECONNREFUSED");
  });
});
