import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { describeError } from "@wal/core";
import { BackendUnavailable } from "../backends/types.js";
import { freePorts } from "./ports.js";

export interface RunningRgw {
  /** e.g. `http://127.0.0.1:41234` (path-style addressing). */
  readonly endpoint: string;
  readonly accessKeyId: string;
  /** A random secret made for this run; never printed. */
  readonly secretAccessKey: string;
  readonly bucket: string;
  stop(): Promise<void>;
}

/** The command a person (or `.ci/run`) runs when the Ceph binaries are missing (Debian 12). */
export const RGW_INSTALL_HINT = "apt-get install -y ceph-mon ceph-osd radosgw ceph-common";

const REQUIRED_BINARIES = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "monmaptool", "curl"];
const START_TIMEOUT_MS = 120_000;
// src/emulators/rgw.ts and dist/emulators/rgw.js are both two levels below the app root.
const SCRIPTS = fileURLToPath(new URL("../../scripts/", import.meta.url));

/**
 * Starts a single-node Ceph cluster with a RADOS Gateway (scripts/start-rgw.sh) in a fresh temporary
 * directory, on free loopback ports unless `WAL_RGW_PORT`, `WAL_RGW_MON_PORT` and `WAL_RGW_MON_V1_PORT`
 * are set, and creates `bucket`. Data lives in RAM and disappears on `stop`.
 * @throws BackendUnavailable when the Ceph binaries are missing (naming the apt command), or the
 * cluster does not come up (with the tail of its output, never the secret).
 */
export async function startRgw(bucket: string): Promise<RunningRgw> {
  const missing = REQUIRED_BINARIES.filter((b) => !onPath(b));
  if (missing.length > 0) {
    throw new BackendUnavailable(`Ceph RADOS Gateway not installed (missing ${missing.join(", ")}); install with: ${RGW_INSTALL_HINT} curl`);
  }
  const base = await mkdtemp(join(tmpdir(), "wal-rgw-"));
  const clusterDir = join(base, "cluster");
  const accessKeyId = `wal${randomBytes(6).toString("hex")}`;
  const secretAccessKey = randomBytes(24).toString("base64url");
  const [s3Port, monPort, monV1Port] = await freePorts(3);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WAL_RGW_PORT: process.env.WAL_RGW_PORT ?? String(s3Port),
    WAL_RGW_MON_PORT: process.env.WAL_RGW_MON_PORT ?? String(monPort),
    WAL_RGW_MON_V1_PORT: process.env.WAL_RGW_MON_V1_PORT ?? String(monV1Port),
    WAL_RGW_ACCESS_KEY: accessKeyId,
    WAL_RGW_SECRET_KEY: secretAccessKey,
  };

  let stopped = false;
  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    spawnSync("bash", [join(SCRIPTS, "stop-rgw.sh"), clusterDir], { stdio: "ignore" });
  };
  // If the test run dies without calling stop, the daemons (which outlive the start script) must not.
  process.once("exit", stopSync);
  const stop = async (): Promise<void> => {
    process.removeListener("exit", stopSync);
    if (!stopped) {
      stopped = true;
      await runToEnd("bash", [join(SCRIPTS, "stop-rgw.sh"), clusterDir], process.env, 60_000);
    }
    await rm(base, { recursive: true, force: true });
  };

  try {
    const { code, output } = await runToEnd("bash", [join(SCRIPTS, "start-rgw.sh"), clusterDir], env, START_TIMEOUT_MS);
    const ready = /^READY endpoint=(\S+) /m.exec(output);
    if (code !== 0 || !ready) {
      const shown = output.split(secretAccessKey).join("<secret>").split("\n").slice(-15).join("\n");
      throw new BackendUnavailable(`start-rgw.sh failed (exit ${code ?? "timeout"}):\n${shown}`);
    }
    const endpoint = ready[1]!;
    const client = new S3Client({
      endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
    return { endpoint, accessKeyId, secretAccessKey, bucket, stop };
  } catch (e) {
    await stop();
    if (e instanceof BackendUnavailable) throw e;
    throw new BackendUnavailable(`radosgw did not start: ${describeError(e)}`, { cause: e });
  }
}

function onPath(binary: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      // Not in this directory; keep looking.
      continue;
    }
  }
  return false;
}

/** Runs a script to completion, keeping the last 8 KiB of its combined output. A timeout kills it. */
function runToEnd(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString("utf8")).slice(-8192);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
