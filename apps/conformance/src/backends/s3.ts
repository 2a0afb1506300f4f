import { randomUUID } from "node:crypto";
import { S3Store, s3OptionsFromEnv } from "@wal/store-s3";
import type { ConditionalUpdate, S3Compat, S3StoreOptions } from "@wal/store-s3";
import type { StoreCapabilities } from "@wal/core";
import { startRgw } from "../emulators/rgw.js";
import type { BackendConnector, BackendDefinition, StartedBackend } from "./types.js";

/**
 * The S3 backend of the conformance suite.
 *
 * By default it starts a throwaway Ceph RADOS Gateway (src/emulators/rgw.ts) and runs with
 * `compat: "ceph"`, which declares `capabilities.update = false` (see packages/store-s3/README.md).
 *
 * Bring your own bucket instead by setting:
 * - `WAL_S3_BUCKET`: an existing bucket (required to skip the emulator);
 * - `WAL_S3_ENDPOINT`: endpoint of an S3-compatible server (else `AWS_ENDPOINT_URL_S3` /
 *   `AWS_ENDPOINT_URL`, else AWS);
 * - `WAL_S3_COMPAT`: `aws` (default) or `ceph`;
 * - `WAL_S3_CONDITIONAL_UPDATE`: `native` or `unsupported`, overriding what the compat preset chose
 *   (also for the emulator: `native` there runs the compare-and-swap race against Ceph's `If-Match`);
 * - the standard `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`,
 *   `AWS_S3_FORCE_PATH_STYLE`.
 * Every store then lives under `wal-conformance/<run id>/<store id>/`, and stop deletes only keys
 * under `wal-conformance/<run id>/`. Credentials are read from the environment by each test worker;
 * they never enter the config handed between processes.
 */

const EMULATOR_BUCKET = "wal-conformance";

function byoBucket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const bucket = env.WAL_S3_BUCKET?.trim();
  return bucket ? bucket : undefined;
}

function byoCompat(env: NodeJS.ProcessEnv = process.env): S3Compat {
  const raw = env.WAL_S3_COMPAT?.trim() || "aws";
  if (raw !== "aws" && raw !== "ceph") throw new Error(`WAL_S3_COMPAT must be "aws" or "ceph", got ${JSON.stringify(raw)}`);
  return raw;
}

function conditionalUpdateOverride(env: NodeJS.ProcessEnv = process.env): { conditionalUpdate?: ConditionalUpdate } {
  const raw = env.WAL_S3_CONDITIONAL_UPDATE?.trim();
  if (!raw) return {};
  if (raw !== "native" && raw !== "unsupported") {
    throw new Error(`WAL_S3_CONDITIONAL_UPDATE must be "native" or "unsupported", got ${JSON.stringify(raw)}`);
  }
  return { conditionalUpdate: raw };
}

function byoOptions(bucket: string, prefix: string): S3StoreOptions {
  const endpoint = process.env.WAL_S3_ENDPOINT?.trim();
  return s3OptionsFromEnv({ bucket, prefix, compat: byoCompat(), ...conditionalUpdateOverride(), ...(endpoint ? { endpoint } : {}) });
}

export const backend: BackendDefinition = {
  name: "s3",
  start: async (): Promise<StartedBackend> => {
    const bucket = byoBucket();
    if (bucket !== undefined) {
      const runPrefix = `wal-conformance/${randomUUID()}`;
      return {
        config: { mode: "byo", bucket, runPrefix },
        stop: async () => {
          const cleaner = new S3Store(byoOptions(bucket, runPrefix));
          try {
            const keys: string[] = [];
            for await (const meta of cleaner.list("")) keys.push(meta.key);
            for (const key of keys) await cleaner.delete(key);
          } finally {
            cleaner.close();
          }
        },
      };
    }
    const rgw = await startRgw(EMULATOR_BUCKET);
    return {
      config: {
        mode: "emulator",
        bucket: rgw.bucket,
        runPrefix: "",
        endpoint: rgw.endpoint,
        accessKeyId: rgw.accessKeyId,
        secretAccessKey: rgw.secretAccessKey,
      },
      stop: () => rgw.stop(),
    };
  },
};

// Known in the test worker before any store exists: the emulator is Ceph, a bring-your-own bucket
// is whatever WAL_S3_COMPAT says. `create` checks that the stores agree.
const capabilities: StoreCapabilities = new S3Store({
  bucket: "capabilities-probe",
  client: { send: () => Promise.reject(new Error("never sent")) },
  compat: byoBucket() === undefined ? "ceph" : byoCompat(),
  ...conditionalUpdateOverride(),
}).capabilities;

function field(config: Record<string, string>, name: string): string {
  const value = config[name];
  if (value === undefined) throw new Error(`s3 backend config lacks '${name}' (was it produced by backend.start?)`);
  return value;
}

export const connector: BackendConnector = {
  capabilities,
  create: async (config) => {
    const storePrefix = [field(config, "runPrefix"), randomUUID()].filter(Boolean).join("/");
    const store =
      field(config, "mode") === "byo"
        ? new S3Store(byoOptions(field(config, "bucket"), storePrefix))
        : new S3Store({
            bucket: field(config, "bucket"),
            prefix: storePrefix,
            endpoint: field(config, "endpoint"),
            credentials: { accessKeyId: field(config, "accessKeyId"), secretAccessKey: field(config, "secretAccessKey") },
            compat: "ceph",
            ...conditionalUpdateOverride(),
          });
    if (store.capabilities.update !== capabilities.update || store.capabilities.create !== capabilities.create) {
      throw new Error(`s3 store capabilities ${JSON.stringify(store.capabilities)} differ from the declared ${JSON.stringify(capabilities)}`);
    }
    return store;
  },
};
