import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "@wal/core";
import { normalizePrefix, parseS3Uri, resolveS3Options, s3OptionsFromEnv } from "../src/index.js";

const creds = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-secret" };

describe("parseS3Uri", () => {
  it("reads bucket and prefix", () => {
    expect(parseS3Uri("s3://my-bucket/wal/shard-a")).toEqual({ bucket: "my-bucket", prefix: "wal/shard-a" });
    expect(parseS3Uri("s3://my-bucket/wal/")).toEqual({ bucket: "my-bucket", prefix: "wal" });
    expect(parseS3Uri("s3://my-bucket")).toEqual({ bucket: "my-bucket", prefix: "" });
    expect(parseS3Uri("s3://my-bucket/")).toEqual({ bucket: "my-bucket", prefix: "" });
  });

  it("decodes percent-escapes in the prefix", () => {
    expect(parseS3Uri("s3://b/a%20b/c").prefix).toBe("a b/c");
  });

  it.each([
    ["gs://bucket/x", /s3:\/\//],
    ["s3:///x", /no bucket/],
    ["not a uri", /not a URI/],
    ["s3://bucket/x?versionId=1", /without user, port, query/],
    ["s3://user:pw@bucket/x", /without user, port, query/],
    ["s3://bucket/a//b", /empty, '\.' or '\.\.'/],
    ["s3://bucket/a/../b", /empty, '\.' or '\.\.'/],
    ["s3://bucket/%zz", /percent-escape/],
  ])("rejects %s", (uri, message) => {
    expect(() => parseS3Uri(uri)).toThrow(InvalidArgumentError);
    expect(() => parseS3Uri(uri)).toThrow(message);
  });
});

describe("normalizePrefix", () => {
  it("strips slashes at both ends", () => {
    expect(normalizePrefix("/a/b/")).toBe("a/b");
    expect(normalizePrefix("")).toBe("");
    expect(normalizePrefix("///")).toBe("");
  });
  it("refuses dot segments", () => {
    expect(() => normalizePrefix("a/./b")).toThrow(InvalidArgumentError);
  });
});

describe("resolveS3Options", () => {
  it("requires a bucket", () => {
    expect(() => resolveS3Options({ bucket: "", region: "eu-west-1" })).toThrow(/'bucket' is required/);
    expect(() => resolveS3Options({ bucket: "a/b", region: "eu-west-1" })).toThrow(/bare bucket name/);
  });

  it("requires a region for AWS and credentials for a custom endpoint", () => {
    expect(() => resolveS3Options({ bucket: "b" })).toThrow(/'region' is required/);
    expect(() => resolveS3Options({ bucket: "b", endpoint: "http://127.0.0.1:9000" })).toThrow(/'credentials' is required/);
    expect(() => resolveS3Options({ bucket: "b", endpoint: "ftp://x", credentials: creds })).toThrow(/http\(s\) URL/);
    expect(() =>
      resolveS3Options({ bucket: "b", endpoint: "http://x", credentials: { accessKeyId: "a", secretAccessKey: "" } }),
    ).toThrow(/secretAccessKey/);
  });

  it("defaults path style and region for a custom endpoint", () => {
    const r = resolveS3Options({ bucket: "b", endpoint: "http://127.0.0.1:9000", credentials: creds });
    expect(r).toMatchObject({ region: "us-east-1", forcePathStyle: true, compat: "aws", conditionalUpdate: "native", prefix: "" });
  });

  it("lets AWS use the default credential chain", () => {
    const r = resolveS3Options({ bucket: "b", region: "eu-west-1" });
    expect(r).toMatchObject({ forcePathStyle: false, credentials: undefined });
  });

  it("maps the ceph preset to unsupported conditional update unless overridden", () => {
    expect(resolveS3Options({ bucket: "b", region: "r", compat: "ceph" }).conditionalUpdate).toBe("unsupported");
    expect(resolveS3Options({ bucket: "b", region: "r", compat: "ceph", conditionalUpdate: "native" }).conditionalUpdate).toBe("native");
    expect(() => resolveS3Options({ bucket: "b", region: "r", compat: "minio" as never })).toThrow(/'compat'/);
  });

  it("needs nothing else when a client is injected", () => {
    const client = { send: () => Promise.reject(new Error("unused")) };
    expect(resolveS3Options({ bucket: "b", client }).client).toBe(client);
  });
});

describe("s3OptionsFromEnv", () => {
  const env = {
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "not-a-real-secret",
    AWS_SESSION_TOKEN: "tok",
    AWS_REGION: "eu-central-1",
    AWS_ENDPOINT_URL: "http://generic:1",
    AWS_ENDPOINT_URL_S3: "http://s3-specific:2",
    AWS_S3_FORCE_PATH_STYLE: "false",
  };

  it("reads the standard variables, the S3-specific endpoint winning", () => {
    const o = s3OptionsFromEnv({ bucket: "b", prefix: "p" }, env);
    expect(o).toMatchObject({
      bucket: "b",
      prefix: "p",
      region: "eu-central-1",
      endpoint: "http://s3-specific:2",
      forcePathStyle: false,
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-secret", sessionToken: "tok" },
    });
  });

  it("lets explicit options override the environment", () => {
    const o = s3OptionsFromEnv({ bucket: "b", endpoint: "http://explicit:3", region: undefined }, env);
    expect(o).toMatchObject({ endpoint: "http://explicit:3", region: "eu-central-1" });
  });

  it("falls back to AWS_DEFAULT_REGION", () => {
    expect(s3OptionsFromEnv({ bucket: "b" }, { AWS_DEFAULT_REGION: "ap-south-1" })).toMatchObject({ region: "ap-south-1" });
  });

  it("names the missing half of a key pair", () => {
    expect(() => s3OptionsFromEnv({ bucket: "b" }, { AWS_REGION: "r", AWS_ACCESS_KEY_ID: "x" })).toThrow(/AWS_SECRET_ACCESS_KEY is not set/);
    expect(() => s3OptionsFromEnv({ bucket: "b" }, { AWS_REGION: "r", AWS_SECRET_ACCESS_KEY: "x" })).toThrow(/AWS_ACCESS_KEY_ID is not set/);
  });

  it("fails fast on a missing region or a bad path-style flag", () => {
    expect(() => s3OptionsFromEnv({ bucket: "b" }, {})).toThrow(InvalidArgumentError);
    expect(() => s3OptionsFromEnv({ bucket: "b" }, { AWS_REGION: "r", AWS_S3_FORCE_PATH_STYLE: "yes please" })).toThrow(
      /AWS_S3_FORCE_PATH_STYLE/,
    );
  });

  it("never puts the secret into an error message", () => {
    try {
      s3OptionsFromEnv({ bucket: "b", endpoint: "nope" }, env);
      expect.unreachable();
    } catch (e) {
      expect(String((e as Error).message)).not.toContain("not-a-real-secret");
    }
  });
});
