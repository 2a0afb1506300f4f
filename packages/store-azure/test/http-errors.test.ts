import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { PutModes, StoreError } from "@wal/core";
import { AzureStore } from "../src/index.js";

// The real SDK over real HTTP against a tiny server that answers with Azure-shaped errors, to check
// what the SDK hands the mapper (codes on HEAD come only from headers) and what ends up printable.
const KEY = Buffer.from("a made-up account key used only by this test file").toString("base64");
const seenAuthorization: string[] = [];
const requestsByName = new Map<string, number>();

function errorBody(code: string, message: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:rid-1\nTime:2025-01-01T00:00:00Z</Message></Error>`;
}

const routes: Record<string, [number, string, string]> = {
  "auth": [403, "AuthenticationFailed", "Server failed to authenticate the request."],
  "denied": [403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission."],
  "busy": [503, "ServerBusy", "The server is busy."],
  "busy-overwrite": [503, "ServerBusy", "The server is busy."],
  "busy-create": [503, "ServerBusy", "The server is busy."],
  "busy-update": [503, "ServerBusy", "The server is busy."],
  "missing": [404, "BlobNotFound", "The specified blob does not exist."],
  "exists": [409, "BlobAlreadyExists", "The specified blob already exists."],
  "stale": [412, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met."],
};

let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    seenAuthorization.push(String(req.headers.authorization ?? ""));
    const name = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).split("/").pop() ?? "";
    requestsByName.set(name, (requestsByName.get(name) ?? 0) + 1);
    const route = routes[name];
    req.resume();
    req.on("end", () => {
      if (!route) {
        res.writeHead(500).end();
        return;
      }
      const [status, code, message] = route;
      const body = req.method === "HEAD" ? "" : errorBody(code, message);
      res.writeHead(status, { "x-ms-error-code": code, "x-ms-request-id": "rid-1", "content-type": "application/xml" });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/acct`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function store(): AzureStore {
  return new AzureStore({
    container: "box",
    endpoint,
    accountName: "acct",
    accountKey: KEY,
    retryOptions: { maxTries: 1 },
  });
}

async function failure(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    return e as StoreError;
  }
  throw new Error("expected a rejection");
}

describe("AzureStore over HTTP error answers", () => {
  it("maps service answers by call", async () => {
    const s = store();
    expect((await failure(s.get("auth"))).code).toBe("Unauthenticated");
    expect((await failure(s.head("auth"))).code).toBe("Unauthenticated");
    expect((await failure(s.get("denied"))).code).toBe("PermissionDenied");
    expect((await failure(s.head("busy"))).code).toBe("Unavailable");
    expect((await failure(s.head("missing"))).code).toBe("NotFound");
    expect((await failure(s.put("exists", new Uint8Array(1), { mode: PutModes.create }))).code).toBe("AlreadyExists");
    expect((await failure(s.put("stale", new Uint8Array(1), { mode: PutModes.create }))).code).toBe("AlreadyExists");
    expect((await failure(s.put("stale", new Uint8Array(1), { mode: PutModes.update("0x1") }))).code).toBe(
      "PreconditionFailed",
    );
    expect((await failure(s.put("missing", new Uint8Array(1), { mode: PutModes.update("0x1") }))).code).toBe(
      "PreconditionFailed",
    );
  });

  it("never prints the key or the request signature", async () => {
    const e = await failure(store().put("auth", new Uint8Array(3), { mode: PutModes.overwrite }));
    expect(e.key).toBe("auth");
    const signature = seenAuthorization.at(-1)?.split(":").pop() ?? "";
    expect(signature.length).toBeGreaterThan(10);
    const printed = [inspect(e, { depth: 10 }), JSON.stringify(e), String(e), e.stack ?? ""].join("\n");
    expect(printed).not.toContain(KEY);
    expect(printed).not.toContain(signature);
    expect(printed).not.toMatch(/SharedKey/);
  });

  it("lets the SDK retry overwrites but sends create and update puts once", async () => {
    const s = new AzureStore({
      container: "box",
      endpoint,
      accountName: "acct",
      accountKey: KEY,
      retryOptions: { maxTries: 3, retryDelayInMs: 1, maxRetryDelayInMs: 2 },
    });
    const body = new Uint8Array(4);
    expect((await failure(s.put("busy-overwrite", body, { mode: PutModes.overwrite }))).code).toBe("Unavailable");
    expect((await failure(s.put("busy-create", body, { mode: PutModes.create }))).code).toBe("Unavailable");
    expect((await failure(s.put("busy-update", body, { mode: PutModes.update("0x1") }))).code).toBe("Unavailable");
    expect(requestsByName.get("busy-overwrite")).toBe(3);
    expect(requestsByName.get("busy-create")).toBe(1);
    expect(requestsByName.get("busy-update")).toBe(1);
  });

  it("rethrows the caller's abort reason rather than a store error", async () => {
    const reason = new Error("caller gave up");
    const signal = AbortSignal.abort(reason);
    await expect(store().put("busy", new Uint8Array(1), { mode: PutModes.overwrite, signal })).rejects.toBe(reason);
    await expect(store().get("busy", { signal })).rejects.toBe(reason);
  });

  it("reports a refused connection as Unavailable", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const s = new AzureStore({
      container: "box",
      endpoint: `http://127.0.0.1:${port}/acct`,
      accountName: "acct",
      accountKey: KEY,
      retryOptions: { maxTries: 1 },
    });
    const e = await failure(s.head("k"));
    expect(e.code).toBe("Unavailable");
    expect(e.retryable).toBe(true);
  });
});
