/**
 * The GCS test server's own tests: plain `fetch`, no SDK. Each test quotes the documented behaviour of the
 * Cloud Storage JSON API (cloud.google.com/storage/docs/json_api/v1/...) that it checks.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGcsTestServer } from "../src/emulators/gcs-server/index.js";
import type { GcsTestServer } from "../src/emulators/gcs-server/index.js";
import { crc32c, crc32cBase64, md5Base64 } from "../src/emulators/gcs-server/hashes.js";

let server: GcsTestServer;
const BUCKET = "server-test";

beforeAll(async () => {
  server = await startGcsTestServer();
  const res = await fetch(`${server.url}/storage/v1/b?project=p`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: BUCKET }),
  });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await server.close();
});

interface ObjectResource {
  name: string;
  bucket: string;
  generation: string;
  metageneration: string;
  size: string;
  crc32c: string;
  md5Hash: string;
  contentType: string;
}

interface ErrorBody {
  error: { code: number; message: string; errors: Array<{ reason: string; domain: string; message: string }> };
}

function objectUrl(name: string, query = ""): string {
  return `${server.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}${query}`;
}

async function mediaUpload(name: string, body: Uint8Array | string, query = ""): Promise<Response> {
  return fetch(`${server.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent(name)}${query}`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: typeof body === "string" ? body : Buffer.from(body),
  });
}

async function uploadOk(name: string, body: Uint8Array | string, query = ""): Promise<ObjectResource> {
  const res = await mediaUpload(name, body, query);
  expect(res.status).toBe(200);
  return (await res.json()) as ObjectResource;
}

async function listAll(query: string): Promise<{ names: string[]; prefixes: string[]; pages: number }> {
  const names: string[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const res = await fetch(`${server.url}/storage/v1/b/${BUCKET}/o?${query}${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items?: ObjectResource[]; prefixes?: string[]; nextPageToken?: string };
    names.push(...(body.items ?? []).map((i) => i.name));
    prefixes.push(...(body.prefixes ?? []));
    token = body.nextPageToken;
    pages++;
  } while (token);
  return { names, prefixes, pages };
}

describe("GCS test server", () => {
  it("binds to 127.0.0.1 only", () => {
    expect(new URL(server.url).hostname).toBe("127.0.0.1");
  });

  it("media upload stores the bytes and answers with the object resource", async () => {
    // objects.insert: "If successful, this method returns an object resource in the response body."
    // Object resource: "generation: The content generation of this object. Used for object versioning." (a string-encoded int64)
    const bytes = new Uint8Array([0, 1, 2, 255, 13, 10]);
    const obj = await uploadOk("media/one", bytes);
    expect(obj).toMatchObject({ name: "media/one", bucket: BUCKET, size: "6", metageneration: "1" });
    expect(obj.generation).toMatch(/^[1-9]\d*$/);
    expect(obj.md5Hash).toBe(md5Base64(bytes));
    expect(obj.crc32c).toBe(crc32cBase64(bytes));
    const got = await fetch(objectUrl("media/one", "?alt=media"));
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
    expect(got.headers.get("x-goog-generation")).toBe(obj.generation);
    expect(got.headers.get("x-goog-stored-content-length")).toBe("6");
  });

  it("computes CRC32C (Castagnoli) as GCS reports it", () => {
    // "CRC32C checksum, as described in RFC 4960, Appendix B; encoded using base64 in big-endian byte order."
    // RFC 4960 / iSCSI check value: CRC-32C("123456789") = 0xE3069283.
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32cBase64(Buffer.from("123456789"))).toBe(Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString("base64"));
  });

  it("multipart upload takes the JSON metadata part first and the media part second", async () => {
    // Multipart upload: "Metadata part. Must come first, and must have a Content-Type header set to
    // application/json; charset=UTF-8 ... Media part. Must come second ... Identify each part with a boundary
    // string, preceded by two hyphens. In addition, add two hyphens after the final boundary string."
    const boundary = "b0undary";
    // Media that contains CRLFs and a near-miss of the delimiter must come back byte for byte.
    const media = Buffer.concat([Buffer.from("\r\n--b0undar\r\n"), Buffer.from([0, 255, 13, 10])]);
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n`),
      Buffer.from(JSON.stringify({ name: "multi/part", contentType: "application/x-test", metadata: { k: "v" } })),
      Buffer.from(`\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\n`),
      media,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await fetch(`${server.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=multipart`, {
      method: "POST",
      headers: { "content-type": `multipart/related; boundary=${boundary}` },
      body,
    });
    expect(res.status).toBe(200);
    const obj = (await res.json()) as ObjectResource & { metadata: Record<string, string> };
    expect(obj).toMatchObject({ name: "multi/part", contentType: "application/x-test", size: String(media.byteLength), metadata: { k: "v" } });
    const got = await fetch(objectUrl("multi/part", "?alt=media"));
    expect(Buffer.from(await got.arrayBuffer())).toEqual(media);
  });

  it("rejects a multipart upload whose declared crc32c does not match the media", async () => {
    // Object resource, crc32c: when supplied on upload, Cloud Storage validates the data against it and
    // rejects the upload on mismatch (hashes documentation: "If the checksums do not match, the request fails").
    const boundary = "xyz";
    const body = Buffer.from(
      `--${boundary}\r\nContent-Type: application/json\r\n\r\n${JSON.stringify({ name: "bad-crc", crc32c: "AAAAAA==" })}` +
        `\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\nhello\r\n--${boundary}--`,
    );
    const res = await fetch(`${server.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=multipart`, {
      method: "POST",
      headers: { "content-type": `multipart/related; boundary=${boundary}` },
      body,
    });
    expect(res.status).toBe(400);
    expect((await fetch(objectUrl("bad-crc"))).status).toBe(404);
  });

  it("ifGenerationMatch=0 creates only when no live object exists, failing with 412 conditionNotMet", async () => {
    // Request preconditions: "ifGenerationMatch ... If the values don't match, the request fails with a 412
    // Precondition Failed response." objects.insert: "Setting to 0 makes the operation succeed only if there
    // are no live versions of the object."
    await uploadOk("cond/create", "first", "&ifGenerationMatch=0");
    const res = await mediaUpload("cond/create", "second", "&ifGenerationMatch=0");
    expect(res.status).toBe(412);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe(412);
    expect(body.error.errors[0]?.reason).toBe("conditionNotMet");
    expect(await (await fetch(objectUrl("cond/create", "?alt=media"))).text()).toBe("first");
  });

  it("ifGenerationMatch=<generation> replaces only the current generation", async () => {
    // "ifGenerationMatch: Makes the operation conditional on whether the object's current generation matches the given value."
    const v1 = await uploadOk("cond/update", "v1");
    const v2 = await uploadOk("cond/update", "v2", `&ifGenerationMatch=${v1.generation}`);
    expect(BigInt(v2.generation)).toBeGreaterThan(BigInt(v1.generation));
    expect((await mediaUpload("cond/update", "v3", `&ifGenerationMatch=${v1.generation}`)).status).toBe(412);
    // A precondition other than 0 on a missing object cannot hold.
    expect((await mediaUpload("cond/missing", "x", `&ifGenerationMatch=${v1.generation}`)).status).toBe(412);
    expect(await (await fetch(objectUrl("cond/update", "?alt=media"))).text()).toBe("v2");
  });

  it("applies ifGenerationMatch=0 atomically: of many concurrent creators exactly one wins", async () => {
    // Request preconditions exist "to prevent race conditions in mutating requests, such as uploads".
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => mediaUpload("cond/race", `writer-${i}`, "&ifGenerationMatch=0").then((r) => r.status)),
    );
    expect(results.filter((s) => s === 200)).toHaveLength(1);
    expect(results.filter((s) => s === 412)).toHaveLength(19);
  });

  it("hands out strictly increasing generations across the whole server", async () => {
    // Object versioning: "generation ... changes each time the object's data is replaced"; we require
    // uniqueness and increase, which real GCS generations (timestamps) also have in practice.
    const gens: bigint[] = [];
    for (let i = 0; i < 20; i++) gens.push(BigInt((await uploadOk(`gen/${i % 3}`, `x${i}`)).generation));
    for (let i = 1; i < gens.length; i++) expect(gens[i]).toBeGreaterThan(gens[i - 1] as bigint);
  });

  it("ifGenerationNotMatch answers 304 on a read and 412 on a write; ifMetagenerationMatch is checked", async () => {
    // Request preconditions: "ifGenerationNotMatch ... If the values match, the request fails with a 304 Not
    // Modified response." and "ifMetagenerationMatch ... If the values don't match, the request fails with a 412".
    const obj = await uploadOk("cond/notmatch", "data");
    expect((await fetch(objectUrl("cond/notmatch", `?alt=media&ifGenerationNotMatch=${obj.generation}`))).status).toBe(304);
    expect((await fetch(objectUrl("cond/notmatch", `?alt=media&ifGenerationNotMatch=1`))).status).toBe(200);
    expect((await mediaUpload("cond/notmatch", "x", `&ifGenerationNotMatch=${obj.generation}`)).status).toBe(412);
    expect((await fetch(objectUrl("cond/notmatch", "?ifMetagenerationMatch=2"))).status).toBe(412);
    expect((await fetch(objectUrl("cond/notmatch", "?ifMetagenerationMatch=1"))).status).toBe(200);
  });

  it("serves byte ranges with 206 and Content-Range, and 416 when the range starts past the end", async () => {
    // objects.get with alt=media supports the standard "Range" header (JSON API headers: "Range ... A request
    // header that specifies the byte range"); RFC 9110: 206 with Content-Range, 416 when unsatisfiable.
    await uploadOk("range/obj", "0123456789");
    const partial = await fetch(objectUrl("range/obj", "?alt=media"), { headers: { range: "bytes=2-5" } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get("content-range")).toBe("bytes 2-5/10");
    expect(await partial.text()).toBe("2345");
    const clipped = await fetch(objectUrl("range/obj", "?alt=media"), { headers: { range: "bytes=7-100" } });
    expect(clipped.status).toBe(206);
    expect(await clipped.text()).toBe("789");
    const suffix = await fetch(objectUrl("range/obj", "?alt=media"), { headers: { range: "bytes=-3" } });
    expect(await suffix.text()).toBe("789");
    const open = await fetch(objectUrl("range/obj", "?alt=media"), { headers: { range: "bytes=9-" } });
    expect(await open.text()).toBe("9");
    const past = await fetch(objectUrl("range/obj", "?alt=media"), { headers: { range: "bytes=10-" } });
    expect(past.status).toBe(416);
    expect(((await past.json()) as ErrorBody).error.errors[0]?.reason).toBe("requestedRangeNotSatisfiable");
  });

  it("answers 404 notFound in Google's error format for a missing object", async () => {
    // Status codes: "The following is an example of an error response you receive if you try to retrieve an
    // object that does not exist. 404 Not Found {"error": {"errors": [{"domain": "global", "reason": "notFound", ...}], "code": 404, ...}}"
    for (const url of [objectUrl("no/such"), objectUrl("no/such", "?alt=media")]) {
      const res = await fetch(url);
      expect(res.status).toBe(404);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe(404);
      expect(body.error.errors[0]).toMatchObject({ domain: "global", reason: "notFound" });
    }
  });

  it("treats the URL-encoded object name as one path segment", async () => {
    // objects.get: "object: Name of the object. For information about how to URL encode object names to be
    // path safe, see Encoding URI path parts." A %2F is part of the name, and %25 decodes to a literal %.
    await uploadOk("dir/a b+c", "slash");
    await uploadOk("dir%2Fa b+c", "percent");
    expect(await (await fetch(`${server.url}/storage/v1/b/${BUCKET}/o/dir%2Fa%20b%2Bc?alt=media`)).text()).toBe("slash");
    expect(await (await fetch(`${server.url}/storage/v1/b/${BUCKET}/o/dir%252Fa%20b%2Bc?alt=media`)).text()).toBe("percent");
    const meta = (await (await fetch(`${server.url}/storage/v1/b/${BUCKET}/o/dir%252Fa%20b%2Bc`)).json()) as ObjectResource;
    expect(meta.name).toBe("dir%2Fa b+c");
  });

  it("also serves media from the /download endpoint", async () => {
    // Object resource: "mediaLink: Media download link." (served under /download/storage/v1/...)
    await uploadOk("dl/obj", "downloaded");
    const res = await fetch(`${server.url}/download/storage/v1/b/${BUCKET}/o/${encodeURIComponent("dl/obj")}?alt=media`);
    expect(await res.text()).toBe("downloaded");
  });

  it("lists by prefix, rolls names up at the delimiter into prefixes, and pages with nextPageToken", async () => {
    // objects.list: "prefixes[]: The list of prefixes of objects matching-but-not-listed up to and including
    // the requested delimiter." "nextPageToken: The continuation token, used to page through large result
    // sets. Provide this value in a subsequent request to return the next page of results."
    // "maxResults: Maximum combined number of entries in items[] and prefixes[] to return in a single page."
    const names = ["ls/a", "ls/b", "ls/c/1", "ls/c/2", "ls/d", "ls/e/1", "lsx"];
    for (const n of names) await uploadOk(n, n);
    const flat = await listAll("prefix=ls%2F&maxResults=2");
    expect(flat.names.sort()).toEqual(names.filter((n) => n.startsWith("ls/")).sort());
    expect(flat.pages).toBe(3);
    const rolled = await listAll("prefix=ls%2F&delimiter=%2F&maxResults=2");
    expect(rolled.names.sort()).toEqual(["ls/a", "ls/b", "ls/d"]);
    expect(rolled.prefixes.sort()).toEqual(["ls/c/", "ls/e/"]);
    const single = await fetch(`${server.url}/storage/v1/b/${BUCKET}/o?prefix=ls%2F&maxResults=1000`);
    const body = (await single.json()) as { nextPageToken?: string; items: ObjectResource[] };
    expect(body.nextPageToken).toBeUndefined();
    expect(body.items.map((i) => i.name)).toEqual(["ls/a", "ls/b", "ls/c/1", "ls/c/2", "ls/d", "ls/e/1"]);
  });

  it("deletes objects (204), answers 404 afterwards, and honours ifGenerationMatch on delete", async () => {
    // objects.delete: "If successful, this method returns an empty response body." Preconditions apply to deletes.
    const obj = await uploadOk("del/obj", "x");
    expect((await fetch(objectUrl("del/obj", "?ifGenerationMatch=1"), { method: "DELETE" })).status).toBe(412);
    const del = await fetch(objectUrl("del/obj", `?ifGenerationMatch=${obj.generation}`), { method: "DELETE" });
    expect(del.status).toBe(204);
    expect((await fetch(objectUrl("del/obj"))).status).toBe(404);
    expect((await fetch(objectUrl("del/obj"), { method: "DELETE" })).status).toBe(404);
  });

  it("gets buckets and refuses a duplicate bucket with 409 conflict", async () => {
    // Status codes: "409 Conflict: ... if you try to create a bucket using the name of a bucket you already own."
    const got = await fetch(`${server.url}/storage/v1/b/${BUCKET}`);
    expect(((await got.json()) as { name: string }).name).toBe(BUCKET);
    const dup = await fetch(`${server.url}/storage/v1/b?project=p`, { method: "POST", body: JSON.stringify({ name: BUCKET }) });
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as ErrorBody).error.errors[0]?.reason).toBe("conflict");
    expect((await fetch(`${server.url}/storage/v1/b/no-such-bucket/o/x`)).status).toBe(404);
  });

  it("answers 501 for what it does not implement instead of pretending", async () => {
    // Not a GCS behaviour: this server's own contract (see its header comment).
    const resumable = await fetch(`${server.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=resumable&name=r`, { method: "POST" });
    expect(resumable.status).toBe(501);
    expect((await fetch(`${server.url}/upload/storage/v1/b/${BUCKET}/o?name=n`, { method: "POST", body: "z" })).status).toBe(501);
    expect((await fetch(`${server.url}/compute/v1/projects`)).status).toBe(501);
  });

  it("logs every request it answered", () => {
    expect(server.requests.length).toBeGreaterThan(10);
    expect(server.requests.every((r) => r.url.startsWith("/"))).toBe(true);
  });
});
