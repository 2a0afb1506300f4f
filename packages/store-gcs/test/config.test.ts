import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "@wal/core";
import { GcsStore, normalizePrefix, parseGcsUri, resolveGcsConfig } from "../src/index.js";

describe("parseGcsUri", () => {
  it("splits bucket and prefix and normalizes the prefix", () => {
    expect(parseGcsUri("gs://my-bucket")).toEqual({ bucket: "my-bucket", prefix: "" });
    expect(parseGcsUri("gs://my-bucket/")).toEqual({ bucket: "my-bucket", prefix: "" });
    expect(parseGcsUri("gs://my-bucket/a/b")).toEqual({ bucket: "my-bucket", prefix: "a/b/" });
    expect(parseGcsUri("gs://my-bucket/a/b/")).toEqual({ bucket: "my-bucket", prefix: "a/b/" });
  });

  it.each(["s3://b/p", "gs:/b/p", "my-bucket/p", "gs://", "gs:///p", "gs://UPPER/p", "gs://ab"])(
    "rejects %s with InvalidArgumentError",
    (uri) => {
      expect(() => parseGcsUri(uri)).toThrow(InvalidArgumentError);
    },
  );
});

describe("resolveGcsConfig", () => {
  it("fails fast, naming the option, when the bucket is missing", () => {
    expect(() => resolveGcsConfig({} as never, {})).toThrow(/'bucket' is required/);
    expect(() => new GcsStore({ bucket: "" })).toThrow(InvalidArgumentError);
  });

  it("takes STORAGE_EMULATOR_HOST when no apiEndpoint is given, and prefers the option", () => {
    expect(resolveGcsConfig({ bucket: "bkt" }, { STORAGE_EMULATOR_HOST: "http://127.0.0.1:4443" }).apiEndpoint).toBe(
      "http://127.0.0.1:4443",
    );
    expect(
      resolveGcsConfig({ bucket: "bkt", apiEndpoint: "http://127.0.0.1:1/" }, { STORAGE_EMULATOR_HOST: "http://127.0.0.1:4443" })
        .apiEndpoint,
    ).toBe("http://127.0.0.1:1");
    expect(resolveGcsConfig({ bucket: "bkt" }, {}).apiEndpoint).toBeUndefined();
  });

  it("strips a JSON API base path from the endpoint", () => {
    expect(resolveGcsConfig({ bucket: "bkt" }, { STORAGE_EMULATOR_HOST: "http://localhost:4443/storage/v1/" }).apiEndpoint).toBe(
      "http://localhost:4443",
    );
  });

  it("rejects an endpoint that is not an http(s) URL, naming its source", () => {
    expect(() => resolveGcsConfig({ bucket: "bkt" }, { STORAGE_EMULATOR_HOST: "localhost:4443" })).toThrow(/STORAGE_EMULATOR_HOST/);
    expect(() => resolveGcsConfig({ bucket: "bkt", apiEndpoint: "ftp://x" }, {})).toThrow(/apiEndpoint/);
  });

  it("validates timeoutMs and listPageSize", () => {
    expect(() => resolveGcsConfig({ bucket: "bkt", timeoutMs: 0 }, {})).toThrow(/timeoutMs/);
    expect(() => resolveGcsConfig({ bucket: "bkt", listPageSize: 1001 }, {})).toThrow(/listPageSize/);
    expect(() => resolveGcsConfig({ bucket: "bkt", listPageSize: 0 }, {})).toThrow(/listPageSize/);
    expect(resolveGcsConfig({ bucket: "bkt" }, {})).toMatchObject({ timeoutMs: 60_000, listPageSize: 1000, prefix: "" });
  });

  it("normalizes prefixes to end in exactly one slash", () => {
    expect(normalizePrefix("")).toBe("");
    expect(normalizePrefix("/")).toBe("");
    expect(normalizePrefix("/a//")).toBe("a/");
    expect(normalizePrefix("a/b")).toBe("a/b/");
  });

  it("builds a store from a URI", () => {
    const store = GcsStore.fromUri("gs://bkt/wal/root", { apiEndpoint: "http://127.0.0.1:9" });
    expect(store.config).toMatchObject({ bucketName: "bkt", prefix: "wal/root/", apiEndpoint: "http://127.0.0.1:9" });
    expect(store.capabilities).toEqual({ create: true, update: true });
  });
});
