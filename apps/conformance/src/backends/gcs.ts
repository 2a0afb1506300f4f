import { randomUUID } from "node:crypto";
import { IdempotencyStrategy, Storage } from "@google-cloud/storage";
import { describeError } from "@wal/core";
import { GcsStore } from "@wal/store-gcs";
import { startGcsTestServer } from "../emulators/gcs-server/index.js";
import { BackendUnavailable } from "./types.js";
import type { BackendConnector, BackendDefinition } from "./types.js";

/**
 * GCS. By default the suite runs against the in-process GCS test server (`src/emulators/gcs-server`).
 *
 * Bring your own bucket instead by setting:
 * - `WAL_GCS_BUCKET`: an existing bucket; every store gets a fresh random prefix under `conformance/`.
 * - `WAL_GCS_ENDPOINT` (optional): the JSON API endpoint of another emulator; `STORAGE_EMULATOR_HOST` is
 *   honoured too. Unset means real GCS, authenticated by Application Default Credentials
 *   (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud, or the metadata server). Credentials never enter the config.
 * - `WAL_GCS_PROJECT` (optional): project id.
 */
export const backend: BackendDefinition = {
  name: "gcs",
  async start() {
    const bucket = process.env.WAL_GCS_BUCKET?.trim();
    if (bucket) return startBringYourOwn(bucket);
    const server = await startGcsTestServer();
    const config = { bucket: "wal-conformance", apiEndpoint: server.url, projectId: "wal-conformance" };
    try {
      await makeStorage(config.apiEndpoint, config.projectId).createBucket(config.bucket);
    } catch (e) {
      await server.close();
      throw new BackendUnavailable(`the GCS test server did not create its bucket: ${describeError(e)}`);
    }
    return { config, stop: () => server.close() };
  },
};

export const connector: BackendConnector = {
  capabilities: { create: true, update: true },
  create: async (config) =>
    new GcsStore({
      bucket: required(config, "bucket"),
      prefix: `conformance/${randomUUID()}`,
      ...(config.apiEndpoint ? { apiEndpoint: config.apiEndpoint } : {}),
      ...(config.projectId ? { projectId: config.projectId } : {}),
    }),
};

async function startBringYourOwn(bucket: string) {
  const apiEndpoint = process.env.WAL_GCS_ENDPOINT?.trim() || process.env.STORAGE_EMULATOR_HOST?.trim() || "";
  const projectId = process.env.WAL_GCS_PROJECT?.trim() || "";
  try {
    const [exists] = await makeStorage(apiEndpoint || undefined, projectId || undefined)
      .bucket(bucket)
      .exists();
    if (!exists) throw new Error(`bucket ${bucket} does not exist`);
  } catch (e) {
    throw new BackendUnavailable(
      `WAL_GCS_BUCKET=${bucket} is not usable (${describeError(e)}); check WAL_GCS_ENDPOINT and the credentials`,
    );
  }
  return { config: { bucket, apiEndpoint, projectId }, stop: async () => undefined };
}

function makeStorage(apiEndpoint: string | undefined, projectId: string | undefined): Storage {
  const storage = new Storage({
    ...(apiEndpoint ? { apiEndpoint } : {}),
    ...(projectId ? { projectId } : {}),
    retryOptions: { autoRetry: false, idempotencyStrategy: IdempotencyStrategy.RetryNever },
  });
  if (apiEndpoint) storage.baseUrl = `${apiEndpoint.replace(/\/+$/, "").replace(/\/storage\/v1$/, "")}/storage/v1`;
  return storage;
}

function required(config: Record<string, string>, name: string): string {
  const value = config[name];
  if (!value) throw new Error(`gcs backend config lacks '${name}'`);
  return value;
}
