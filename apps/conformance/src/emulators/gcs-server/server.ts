import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { multipartBoundary, parseMultipart } from "./multipart.js";
import { crc32cBase64, md5Base64 } from "./hashes.js";
import { ApiFailure, ServerState } from "./state.js";
import type { Preconditions, StoredObject } from "./state.js";

export interface GcsTestServerOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
}

export interface LoggedRequest {
  readonly method: string;
  /** Path and query exactly as received (still percent-encoded). */
  readonly url: string;
  readonly status: number;
}

export interface GcsTestServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`; use it as the SDK's `apiEndpoint`. */
  readonly url: string;
  /** Every request answered so far, oldest first. */
  readonly requests: readonly LoggedRequest[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 256 * 1024 * 1024;
const DEFAULT_PAGE_SIZE = 1000;

/**
 * Starts the server on 127.0.0.1.
 * @throws Error when the port cannot be bound.
 */
export async function startGcsTestServer(options: GcsTestServerOptions = {}): Promise<GcsTestServer> {
  const state = new ServerState();
  const requests: LoggedRequest[] = [];
  const server = createServer((req, res) => {
    res.on("finish", () => requests.push({ method: req.method ?? "", url: req.url ?? "", status: res.statusCode }));
    handle(state, req, res).catch((e: unknown) => {
      const failure = e instanceof ApiFailure ? e : new ApiFailure(500, "backendError", `test server bug: ${String(e)}`);
      sendError(res, failure);
    });
  });
  await listen(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function handle(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const method = req.method ?? "GET";
  // Split the raw path so that an encoded slash (%2F) in an object name never acts as a separator.
  const rawPath = (req.url ?? "/").split("?")[0] ?? "/";
  const segments = rawPath.split("/").slice(1);
  const q = url.searchParams;

  const route = matchRoute(segments);
  if (!route) throw new ApiFailure(501, "notImplemented", `${method} ${rawPath} is not implemented by the GCS test server`);

  switch (route.kind) {
    case "buckets":
      if (method === "POST") {
        const body = parseJson(await readBody(req));
        const name = typeof body.name === "string" ? body.name : "";
        return sendJson(res, 200, bucketResource(state.createBucket(name)));
      }
      break;
    case "bucket":
      if (method === "GET") return sendJson(res, 200, bucketResource(state.bucket(route.bucket)));
      if (method === "DELETE") {
        state.deleteBucket(route.bucket);
        return sendEmpty(res, 204);
      }
      break;
    case "objects":
      if (method === "GET") return sendJson(res, 200, listObjects(state, route.bucket, q));
      if (method === "POST") throw new ApiFailure(400, "invalid", "Metadata-only inserts are not allowed; use the upload endpoint.");
      break;
    case "upload":
      if (method === "POST") return upload(state, route.bucket, req, res, q);
      break;
    case "object":
      if (method === "GET" && (route.download || q.get("alt") === "media")) {
        return download(state, route.bucket, route.name, req, res, q);
      }
      if (method === "GET") {
        return sendJson(res, 200, objectResource(state.read(route.bucket, route.name, preconditions(q), generationParam(q))));
      }
      if (method === "DELETE") {
        state.delete(route.bucket, route.name, preconditions(q), generationParam(q));
        return sendEmpty(res, 204);
      }
      break;
  }
  throw new ApiFailure(405, "methodNotAllowed", `${method} is not allowed on ${rawPath}`);
}

type Route =
  | { kind: "buckets" }
  | { kind: "bucket"; bucket: string }
  | { kind: "objects"; bucket: string }
  | { kind: "upload"; bucket: string }
  | { kind: "object"; bucket: string; name: string; download: boolean };

function matchRoute(segments: string[]): Route | undefined {
  let download = false;
  let rest = segments;
  let upload = false;
  if (rest[0] === "upload" || rest[0] === "download") {
    upload = rest[0] === "upload";
    download = rest[0] === "download";
    rest = rest.slice(1);
  }
  if (rest[0] !== "storage" || rest[1] !== "v1" || rest[2] !== "b") return undefined;
  rest = rest.slice(3);
  if (rest.length === 0 || (rest.length === 1 && rest[0] === "")) return upload || download ? undefined : { kind: "buckets" };
  const bucket = decode(rest[0] ?? "");
  if (rest.length === 1) return upload || download ? undefined : { kind: "bucket", bucket };
  if (rest[1] !== "o") return undefined;
  if (rest.length === 2) {
    if (download) return undefined;
    return upload ? { kind: "upload", bucket } : { kind: "objects", bucket };
  }
  if (upload) return undefined;
  // Everything after /o/ is the object name; each segment is decoded on its own, so %2F and a literal
  // "/" both end up as "/" in the name, and "%252F" stays the three characters "%2F".
  const name = rest.slice(2).map(decode).join("/");
  if (name === "") return undefined;
  return { kind: "object", bucket, name, download };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiFailure(400, "invalid", `malformed percent-encoding in path segment ${JSON.stringify(segment)}`);
  }
}

async function upload(state: ServerState, bucket: string, req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
  const uploadType = q.get("uploadType");
  const body = await readBody(req);
  let name = q.get("name") ?? undefined;
  let bytes: Buffer;
  let contentType = req.headers["content-type"] ?? "application/octet-stream";
  let metadata: Record<string, unknown> = {};
  if (uploadType === "media") {
    bytes = body;
  } else if (uploadType === "multipart") {
    const boundary = multipartBoundary(req.headers["content-type"]);
    if (!boundary) throw new ApiFailure(400, "invalid", "uploadType=multipart needs a multipart/related content type with a boundary");
    let parts;
    try {
      parts = parseMultipart(body, boundary);
    } catch (e) {
      throw new ApiFailure(400, "invalid", `malformed multipart body: ${(e as Error).message}`);
    }
    if (parts.length !== 2) throw new ApiFailure(400, "invalid", `multipart upload needs exactly 2 parts, got ${parts.length}`);
    const [meta, media] = parts as [(typeof parts)[0], (typeof parts)[0]];
    metadata = parseJson(meta.body);
    if (typeof metadata.name === "string" && metadata.name !== "") name ??= metadata.name;
    bytes = media.body;
    contentType = typeof metadata.contentType === "string" ? metadata.contentType : (media.headers["content-type"] ?? "application/octet-stream");
  } else {
    throw new ApiFailure(501, "notImplemented", `uploadType=${uploadType ?? "(missing)"} is not implemented by the GCS test server`);
  }
  if (!name) throw new ApiFailure(400, "required", "Required parameter: name");
  // GCS rejects an upload whose declared checksum does not match the bytes it received.
  if (typeof metadata.crc32c === "string" && metadata.crc32c !== crc32cBase64(bytes)) {
    throw new ApiFailure(400, "invalid", "Provided CRC32C does not match calculated CRC32C.");
  }
  if (typeof metadata.md5Hash === "string" && metadata.md5Hash !== md5Base64(bytes)) {
    throw new ApiFailure(400, "invalid", "Provided MD5 hash does not match calculated MD5 hash.");
  }
  const userMetadata = isStringRecord(metadata.metadata) ? metadata.metadata : undefined;
  const object = state.insert(bucket, name, bytes, contentType, userMetadata, preconditions(q));
  sendJson(res, 200, objectResource(object));
}

function download(state: ServerState, bucket: string, name: string, req: IncomingMessage, res: ServerResponse, q: URLSearchParams): void {
  const object = state.read(bucket, name, preconditions(q), generationParam(q));
  const size = object.bytes.byteLength;
  const headers: Record<string, string> = {
    "content-type": object.contentType,
    "x-goog-generation": String(object.generation),
    "x-goog-metageneration": String(object.metageneration),
    "x-goog-stored-content-length": String(size),
    "x-goog-stored-content-encoding": "identity",
    "x-goog-hash": `crc32c=${object.crc32c},md5=${object.md5Hash}`,
    etag: etag(object),
    "last-modified": object.created.toUTCString(),
    "accept-ranges": "bytes",
  };
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") {
    throw new ApiFailure(416, "requestedRangeNotSatisfiable", "The requested range cannot be satisfied.");
  }
  if (range) {
    const body = object.bytes.subarray(range.start, range.end + 1);
    res.writeHead(206, { ...headers, "content-range": `bytes ${range.start}-${range.end}/${size}`, "content-length": String(body.byteLength) });
    res.end(body);
    return;
  }
  res.writeHead(200, { ...headers, "content-length": String(size) });
  res.end(object.bytes);
}

/**
 * RFC 9110 single byte ranges. Anything this server does not understand (several ranges, other units,
 * bad syntax) is ignored and the whole object is sent, which the RFC allows.
 */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? undefined : Number(m[2]);
  // An inverted range is a syntax error, which is ignored rather than refused.
  if (end !== undefined && end < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}

function listObjects(state: ServerState, bucketName: string, q: URLSearchParams): Record<string, unknown> {
  const bucket = state.bucket(bucketName);
  const prefix = q.get("prefix") ?? "";
  const delimiter = q.get("delimiter") ?? "";
  const startOffset = q.get("startOffset") ?? "";
  const endOffset = q.get("endOffset");
  const pageSize = pageSizeParam(q.get("maxResults"));
  const after = q.get("pageToken") ? decodePageToken(q.get("pageToken") as string) : undefined;

  const names = [...bucket.objects.keys()]
    .filter((n) => n.startsWith(prefix) && compareNames(n, startOffset) >= 0 && (endOffset === null || compareNames(n, endOffset) < 0))
    .sort(compareNames);
  const items: StoredObject[] = [];
  const prefixes: string[] = [];
  let last: string | undefined;
  let more = false;
  for (const name of names) {
    // The token is the last name or prefix already returned: resume strictly after it, and never
    // descend into a prefix that was already rolled up.
    if (after !== undefined && (compareNames(name, after) <= 0 || (after.endsWith(delimiter) && delimiter !== "" && name.startsWith(after)))) continue;
    const cut = delimiter === "" ? -1 : name.indexOf(delimiter, prefix.length);
    const entry = cut >= 0 ? name.slice(0, cut + delimiter.length) : name;
    if (cut >= 0 && entry === last) continue;
    if (items.length + prefixes.length === pageSize) {
      more = true;
      break;
    }
    if (cut >= 0) prefixes.push(entry);
    else items.push(bucket.objects.get(name) as StoredObject);
    last = entry;
  }
  const out: Record<string, unknown> = { kind: "storage#objects" };
  if (items.length > 0) out.items = items.map(objectResource);
  if (prefixes.length > 0) out.prefixes = prefixes;
  if (more && last !== undefined) out.nextPageToken = Buffer.from(last, "utf8").toString("base64url");
  return out;
}

// GCS orders listings by the UTF-8 bytes of the names, which differs from UTF-16 order for astral characters.
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function decodePageToken(token: string): string {
  const decoded = Buffer.from(token, "base64url").toString("utf8");
  if (Buffer.from(decoded, "utf8").toString("base64url") !== token) throw new ApiFailure(400, "invalid", "Invalid page token.");
  return decoded;
}

function pageSizeParam(raw: string | null): number {
  if (raw === null) return DEFAULT_PAGE_SIZE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ApiFailure(400, "invalid", `Invalid value for maxResults: ${raw}`);
  return Math.min(n, DEFAULT_PAGE_SIZE);
}

function preconditions(q: URLSearchParams): Preconditions {
  return {
    ifGenerationMatch: int64Param(q, "ifGenerationMatch"),
    ifGenerationNotMatch: int64Param(q, "ifGenerationNotMatch"),
    ifMetagenerationMatch: int64Param(q, "ifMetagenerationMatch"),
    ifMetagenerationNotMatch: int64Param(q, "ifMetagenerationNotMatch"),
  };
}

function generationParam(q: URLSearchParams): bigint | undefined {
  return int64Param(q, "generation");
}

function int64Param(q: URLSearchParams, name: string): bigint | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  if (!/^-?\d+$/.test(raw)) throw new ApiFailure(400, "invalid", `Invalid value for ${name}: ${raw}`);
  return BigInt(raw);
}

function objectResource(o: StoredObject): Record<string, unknown> {
  const encoded = encodeURIComponent(o.name);
  const created = o.created.toISOString();
  const resource: Record<string, unknown> = {
    kind: "storage#object",
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `/storage/v1/b/${o.bucket}/o/${encoded}`,
    mediaLink: `/download/storage/v1/b/${o.bucket}/o/${encoded}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: String(o.generation),
    metageneration: String(o.metageneration),
    contentType: o.contentType,
    storageClass: "STANDARD",
    size: String(o.bytes.byteLength),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: etag(o),
    timeCreated: created,
    updated: created,
    timeStorageClassUpdated: created,
  };
  if (o.metadata) resource.metadata = o.metadata;
  return resource;
}

function bucketResource(b: { name: string; created: Date }): Record<string, unknown> {
  return {
    kind: "storage#bucket",
    id: b.name,
    name: b.name,
    selfLink: `/storage/v1/b/${b.name}`,
    projectNumber: "0",
    metageneration: "1",
    location: "US",
    storageClass: "STANDARD",
    etag: "CAE=",
    timeCreated: b.created.toISOString(),
    updated: b.created.toISOString(),
  };
}

function etag(o: StoredObject): string {
  return Buffer.from(`${o.generation}/${o.metageneration}`).toString("base64");
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on("data", (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > MAX_BODY_BYTES) {
        reject(new ApiFailure(413, "uploadTooLarge", "The request body is too large for the GCS test server."));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function parseJson(body: Buffer): Record<string, unknown> {
  if (body.byteLength === 0) return {};
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the 400 below
  }
  throw new ApiFailure(400, "parseError", "Parse Error: the JSON body is not an object.");
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return !!v && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { "content-length": "0" });
  res.end();
}

function sendError(res: ServerResponse, failure: ApiFailure): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (failure.status === 304) return sendEmpty(res, 304);
  sendJson(res, failure.status, {
    error: {
      code: failure.status,
      message: failure.message,
      errors: [{ message: failure.message, domain: "global", reason: failure.reason }],
    },
  });
}
