import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { describeError } from "@wal/core";
import { BackendUnavailable } from "../backends/types.js";
import { freePorts } from "./ports.js";

/**
 * Azurite's well-known development account. The key is published in Azure's documentation and
 * works only against the emulator; it is still never printed.
 */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface RunningAzurite {
  /** Blob endpoint with the account path, e.g. `http://127.0.0.1:41234/devstoreaccount1`. */
  readonly endpoint: string;
  readonly container: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/**
 * Starts `azurite-blob` in memory on a free loopback port, waits until it answers, and creates
 * `container`. Nothing is left on disk: its workspace is a temporary directory removed on stop.
 * @throws BackendUnavailable when the azurite package is missing or the emulator does not come up.
 */
export async function startAzurite(container: string): Promise<RunningAzurite> {
  const script = azuriteBlobScript();
  const [port] = (await freePorts(1)) as [number];
  const location = await mkdtemp(join(tmpdir(), "wal-azurite-"));
  const child = spawn(
    process.execPath,
    [
      script,
      "--blobHost", "127.0.0.1",
      "--blobPort", String(port),
      "--inMemoryPersistence",
      "--skipApiVersionCheck",
      "--disableTelemetry",
      "--silent",
      "--loose",
    ],
    // --location cannot be combined with --inMemoryPersistence, so the temporary directory is the
    // working directory instead: whatever Azurite still writes lands there and is removed on stop.
    { stdio: ["ignore", "pipe", "pipe"], cwd: location },
  );
  let output = "";
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // If the test run dies without calling stop, the emulator must not outlive it.
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener("exit", killOnExit);
    await terminate(child);
    await rm(location, { recursive: true, force: true });
  };

  try {
    await waitForPort(port, child, () => output);
    const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
    const service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
    await service.getContainerClient(container).createIfNotExists();
    return { endpoint, container, stop };
  } catch (e) {
    await stop();
    if (e instanceof BackendUnavailable) throw e;
    throw new BackendUnavailable(`azurite did not start: ${describeError(e)}`, { cause: e });
  }
}

function azuriteBlobScript(): string {
  const require = createRequire(import.meta.url);
  let manifestPath: string;
  try {
    manifestPath = require.resolve("azurite/package.json");
  } catch {
    throw new BackendUnavailable("the azurite package is not installed (a devDependency of apps/conformance); run pnpm install");
  }
  const manifest = require(manifestPath) as { bin?: Record<string, string> };
  const relative = manifest.bin?.["azurite-blob"];
  if (!relative) throw new BackendUnavailable("the installed azurite package has no azurite-blob binary");
  return join(dirname(manifestPath), relative);
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new BackendUnavailable(
        `azurite exited early (code ${child.exitCode ?? child.signalCode}): ${output().trim().slice(-500)}`,
      );
    }
    if (await canConnect(port)) return;
    if (Date.now() > deadline) {
      throw new BackendUnavailable(`azurite did not accept connections on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
