/**
 * The store over real HTTP against a scripted local server: what goes on the wire (no credentials, no
 * metadata-server lookups, no SDK retries of conditional writes) and how HTTP failures come back.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PutModes } from "@wal/core";
import { GcsStore } from "../src/index.js";

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
    req.resume();
    req.on("end", () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function jsonError(res: ServerResponse, code: number, reason: string): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code, message: `scripted ${code}`, errors: [{ domain: "global", reason, message: "x" }] } }));
}

let metadata: Awaited<ReturnType<typeof listen>>;
const savedEnv = { ...process.env };

beforeAll(async () => {
  // Anything that tried to fetch credentials from the GCE metadata server would land here.
  metadata = await listen((_req, res) => jsonError(res, 500, "unexpected"));
  const host = new URL(metadata.url).host;
  process.env.GCE_METADATA_HOST = host;
  process.env.GCE_METADATA_IP = host;
  // An unusable credentials file: any attempt to authenticate would fail loudly.
  process.env.GOOGLE_APPLICATION_CREDENTIALS = "/nonexistent/credentials.json";
  delete process.env.STORAGE_EMULATOR_HOST;
});

afterAll(async () => {
  process.env = savedEnv;
  await new Promise((r) => metadata.server.close(r));
});

let current: Awaited<ReturnType<typeof listen>> | undefined;
afterEach(async () => {
  if (current) await new Promise((r) => current?.server.close(r));
  current = undefined;
});

describe("GcsStore over HTTP", () => {
  it("talks only to the custom endpoint, without credentials or metadata-server lookups", async () => {
    current = await listen((_req, res) => jsonError(res, 404, "notFound"));
    const store = new GcsStore({ bucket: "bkt", apiEndpoint: current.url, prefix: "p" });
    await expect(store.head("a/b")).rejects.toMatchObject({ code: "NotFound", key: "a/b" });
    await expect(store.get("a/b")).rejects.toMatchObject({ code: "NotFound" });
    expect(current.seen.map((s) => s.url.replace(/\?$/, ""))).toEqual(["/storage/v1/b/bkt/o/p%2Fa%2Fb", "/storage/v1/b/bkt/o/p%2Fa%2Fb?alt=media"]);
    expect(current.seen.every((s) => s.authorization === undefined)).toBe(true);
    expect(metadata.seen).toEqual([]);
  });

  it("honours STORAGE_EMULATOR_HOST with or without the /storage/v1 path", async () => {
    current = await listen((_req, res) => jsonError(res, 404, "notFound"));
    for (const host of [current.url, `${current.url}/storage/v1`]) {
      process.env.STORAGE_EMULATOR_HOST = host;
      try {
        await expect(new GcsStore({ bucket: "bkt" }).head("k")).rejects.toMatchObject({ code: "NotFound" });
      } finally {
        delete process.env.STORAGE_EMULATOR_HOST;
      }
    }
    expect(current.seen.map((s) => s.url.replace(/\?$/, ""))).toEqual(["/storage/v1/b/bkt/o/k", "/storage/v1/b/bkt/o/k"]);
  });

  it("sends a conditional create exactly once, even when the server answers 503", async () => {
    current = await listen((_req, res) => jsonError(res, 503, "backendError"));
    const store = new GcsStore({ bucket: "bkt", apiEndpoint: current.url });
    const err = await store.put("k", new Uint8Array([1]), { mode: PutModes.create }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "Unavailable", retryable: true, key: "k", backend: "gcs" });
    expect(current.seen).toHaveLength(1);
    expect(current.seen[0]?.url).toContain("ifGenerationMatch=0");
    expect(current.seen[0]?.url).toContain("uploadType=multipart");
  });

  it("maps 412 to AlreadyExists for create and PreconditionFailed for update", async () => {
    current = await listen((_req, res) => jsonError(res, 412, "conditionNotMet"));
    const store = new GcsStore({ bucket: "bkt", apiEndpoint: current.url });
    await expect(store.put("k", new Uint8Array([1]), { mode: PutModes.create })).rejects.toMatchObject({ code: "AlreadyExists" });
    await expect(store.put("k", new Uint8Array([1]), { mode: PutModes.update("123") })).rejects.toMatchObject({
      code: "PreconditionFailed",
    });
    expect(current.seen[1]?.url).toContain("ifGenerationMatch=123");
  });

  it("rejects a version that is not a generation without sending anything", async () => {
    current = await listen((_req, res) => jsonError(res, 500, "unexpected"));
    const store = new GcsStore({ bucket: "bkt", apiEndpoint: current.url });
    await expect(store.put("k", new Uint8Array([1]), { mode: PutModes.update("etag-like") })).rejects.toMatchObject({
      code: "PreconditionFailed",
    });
    expect(current.seen).toEqual([]);
  });

  it("maps 401 and 403 and treats a 404 on delete as success", async () => {
    const statuses = [401, 403, 404];
    current = await listen((_req, res) => jsonError(res, statuses.shift() ?? 500, "scripted"));
    const store = new GcsStore({ bucket: "bkt", apiEndpoint: current.url });
    await expect(store.head("k")).rejects.toMatchObject({ code: "Unauthenticated" });
    await expect(store.head("k")).rejects.toMatchObject({ code: "PermissionDenied" });
    await expect(store.delete("k")).resolves.toBeUndefined();
  });

  it("maps a refused connection to Unavailable", async () => {
    const dead = await listen(() => undefined);
    await new Promise((r) => dead.server.close(r));
    const store = new GcsStore({ bucket: "bkt", apiEndpoint: dead.url });
    await expect(store.head("k")).rejects.toMatchObject({ code: "Unavailable" });
  });

  it("rejects a get with the abort reason when its signal fires mid-request", async () => {
    const hanging = await listen(() => undefined);
    try {
      const store = new GcsStore({ bucket: "bkt", apiEndpoint: hanging.url });
      const controller = new AbortController();
      const pending = store.get("k", { signal: controller.signal });
      await new Promise((r) => setTimeout(r, 50));
      const reason = new Error("caller gave up");
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
    } finally {
      hanging.server.closeAllConnections();
      await new Promise((r) => hanging.server.close(r));
    }
  });

  it("follows nextPageToken until the listing ends", async () => {
    current = await listen((req, res) => {
      const url = new URL(req.url ?? "", "http://x");
      const token = url.searchParams.get("pageToken");
      const page = token === null ? 0 : Number(token);
      const item = (n: number) => ({ name: `p/k${n}`, size: "1", generation: String(100 + n), updated: new Date(0).toISOString() });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ items: [item(page * 2), item(page * 2 + 1)], ...(page < 2 ? { nextPageToken: String(page + 1) } : {}) }));
    });
    const store = new GcsStore({ bucket: "bkt", apiEndpoint: current.url, prefix: "p", listPageSize: 2 });
    const keys: string[] = [];
    for await (const meta of store.list("")) keys.push(`${meta.key}@${meta.version}`);
    expect(keys).toEqual(["k0@100", "k1@101", "k2@102", "k3@103", "k4@104", "k5@105"]);
    expect(current.seen).toHaveLength(3);
    expect(current.seen[0]?.url).toContain("maxResults=2");
  });
});
