/**
 * The Azure Blob backend of the conformance app.
 *
 * By default it starts Azurite (in memory, on a free loopback port) for the run. To run against a
 * real storage account instead ("bring your own"), set:
 * - `WAL_AZURE_CONTAINER`: an existing container the tests may write into (each store gets a fresh
 *   random prefix under `conformance/`; what the tests leave there is not cleaned up, so use a
 *   scratch container or a lifecycle rule);
 * - and either `AZURE_STORAGE_CONNECTION_STRING`, or `AZURE_STORAGE_ACCOUNT` with
 *   `AZURE_STORAGE_KEY` (or `AZURE_STORAGE_SAS_TOKEN`); `AZURE_STORAGE_ENDPOINT` overrides the
 *   blob endpoint.
 *
 * Credentials never travel through the provided config: the test worker reads them from its own
 * environment, and Azurite's public development key is a constant.
 */
import { randomUUID } from "node:crypto";
import { AzureStore, azureOptionsFromEnv } from "@wal/store-azure";
import type { AzureStoreOptions } from "@wal/store-azure";
import { describeError } from "@wal/core";
import type { ObjectStore } from "@wal/core";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from "../emulators/azurite.js";
import { BackendUnavailable } from "./types.js";
import type { BackendConnector, BackendDefinition, StartedBackend } from "./types.js";

const AZURITE_CONTAINER = "wal-conformance";

export const backend: BackendDefinition = {
  name: "azure",
  start: async (): Promise<StartedBackend> => {
    const container = process.env.WAL_AZURE_CONTAINER?.trim();
    if (container) {
      await checkOwnContainer(container);
      return { config: { source: "env", container }, stop: async () => undefined };
    }
    const azurite = await startAzurite(AZURITE_CONTAINER);
    return {
      config: { source: "azurite", endpoint: azurite.endpoint, container: azurite.container },
      stop: () => azurite.stop(),
    };
  },
};

export const connector: BackendConnector = {
  capabilities: { create: true, update: true },
  create: async (config) => new AzureStore({ ...connection(config), prefix: `conformance/${randomUUID()}` }),
};

function connection(config: Record<string, string>): AzureStoreOptions {
  const container = config.container;
  if (!container) throw new Error("azure backend config has no container");
  if (config.source === "azurite") {
    return { container, endpoint: config.endpoint, accountName: AZURITE_ACCOUNT, accountKey: AZURITE_KEY };
  }
  return { ...azureOptionsFromEnv(), container };
}

/** Fails fast, before any test runs, when the bring-your-own container is unreachable. */
async function checkOwnContainer(container: string): Promise<void> {
  let store: ObjectStore;
  try {
    store = new AzureStore({ ...azureOptionsFromEnv(), container, prefix: `conformance/${randomUUID()}` });
  } catch (e) {
    throw new BackendUnavailable(`WAL_AZURE_CONTAINER is set but: ${describeError(e)}`);
  }
  try {
    for await (const _ of store.list("")) break;
  } catch (e) {
    throw new BackendUnavailable(
      `cannot list container ${container} (WAL_AZURE_CONTAINER): ${describeError(e)}`,
    );
  }
}
