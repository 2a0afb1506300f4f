/**
 * A GCS JSON API test server: a small in-memory HTTP server for the conformance suite. It is NOT an
 * emulator or a product. It implements only what `@google-cloud/storage` sends for the calls
 * `@wal/store-gcs` makes (simple media/multipart uploads, object GET with and without `alt=media` and
 * byte ranges, list with prefix/delimiter/pagination, delete, bucket get/insert/delete) with Google's
 * documented semantics for generations and preconditions and Google's JSON error bodies. Everything
 * else answers 501. It exists because no GCS emulator that honours preconditions can be installed here.
 * It performs no authentication and binds to 127.0.0.1 only.
 */
export { startGcsTestServer } from "./server.js";
export type { GcsTestServer, GcsTestServerOptions, LoggedRequest } from "./server.js";
