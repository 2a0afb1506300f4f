import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import type { ContainerClient, StoragePipelineOptions, StorageRetryOptions } from "@azure/storage-blob";
import { InvalidArgumentError } from "@wal/core";

/** The largest body the SDK sends in one request (256 MiB); larger bodies are staged in blocks. */
export const MAX_SINGLE_SHOT_SIZE = 256 * 1024 * 1024;

/**
 * Options of `AzureStore`. Credentials come from exactly one source, in this order: an injected
 * `containerClient`, an injected `serviceClient`, `connectionString`, `accountName` + `accountKey`,
 * `accountName` + `sasToken`. Nothing here is ever copied into an error message or a log line.
 */
export interface AzureStoreOptions {
  /**
   * Container (bucket) name. Required unless `containerClient` is given. Azure names are 3-63
   * characters of lowercase letters, digits and single hyphens.
   */
  readonly container?: string;
  /**
   * Key prefix inside the container; every key of the store lives below it. A trailing `/` is
   * added when missing. Default: none (the container root).
   */
  readonly prefix?: string;
  /**
   * A ready client for the container. Used as is; the store never creates the container. Takes
   * precedence over every other connection option.
   */
  readonly containerClient?: ContainerClient;
  /** A ready service client; the store asks it for `container`. */
  readonly serviceClient?: BlobServiceClient;
  /**
   * A storage connection string (`AZURE_STORAGE_CONNECTION_STRING`), e.g.
   * `DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net`,
   * `...;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1` for Azurite, or
   * `UseDevelopmentStorage=true`. Secret: never logged.
   */
  readonly connectionString?: string;
  /** Storage account name (`AZURE_STORAGE_ACCOUNT`). Used with `accountKey` or `sasToken`. */
  readonly accountName?: string;
  /** Shared key of the account, base64 (`AZURE_STORAGE_KEY`). Secret: never logged. */
  readonly accountKey?: string;
  /** A SAS token (with or without the leading `?`) (`AZURE_STORAGE_SAS_TOKEN`). Secret: never logged. */
  readonly sasToken?: string;
  /**
   * Blob service endpoint including the account path for emulators, e.g.
   * `http://127.0.0.1:10000/devstoreaccount1` for Azurite (`AZURE_STORAGE_ENDPOINT`).
   * Default: `https://<accountName>.blob.core.windows.net`. Ignored with a connection string
   * (which carries its own `BlobEndpoint`).
   */
  readonly endpoint?: string;
  /**
   * Bodies up to this many bytes go in a single Put Blob request (atomic, one round trip); larger
   * ones are staged as blocks and committed with the same condition. Default and maximum: 256 MiB.
   */
  readonly maxSingleShotSize?: number;
  /** Blobs per listing page (1-5000). Default: 1000. Small values are for testing pagination. */
  readonly listPageSize?: number;
  /**
   * The SDK's own retry policy (tries, delays, per-try timeout) for clients the store builds; ignored
   * with an injected client. Default: the SDK's (4 tries, exponential backoff). Create and update
   * puts are always sent once (`maxTries: 1`): an SDK retry after a lost answer would find the put's
   * own write and report a false conflict. A WAL writer that retries by itself may want
   * `{maxTries: 1}` everywhere so that failures surface quickly.
   */
  readonly retryOptions?: StorageRetryOptions;
}

/** What `resolveAzureConfig` produces: a container client plus the normalized key prefix. */
export interface ResolvedAzureConfig {
  readonly containerClient: ContainerClient;
  /**
   * The client for create and update puts: the same pipeline without SDK retries when the store
   * built the client; the injected client itself otherwise.
   */
  readonly conditionalContainerClient: ContainerClient;
  /** Empty, or ending in `/`. */
  readonly prefix: string;
  readonly maxSingleShotSize: number;
  readonly listPageSize: number;
  /** Secret strings known to this store, redacted from every error message it produces. */
  readonly secrets: readonly string[];
}

/** The parts of `az://container/prefix`. */
export interface AzureUri {
  readonly container: string;
  /** Empty when the URI names only the container. */
  readonly prefix: string;
}

const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Parses `az://container/some/prefix` (also `azure://`). The prefix keeps no leading or trailing `/`.
 * @throws InvalidArgumentError when the scheme is not `az`/`azure` or the container name is invalid.
 */
export function parseAzureUri(uri: string): AzureUri {
  const match = /^(az|azure):\/\/([^/?#]*)(\/[^?#]*)?$/.exec(uri);
  if (!match) {
    throw new InvalidArgumentError(`not an Azure blob URI (expected az://container/prefix): ${JSON.stringify(uri)}`);
  }
  const container = match[2] ?? "";
  checkContainerName(container);
  const prefix = (match[3] ?? "").replace(/^\/+/, "").replace(/\/+$/, "");
  return { container, prefix };
}

/** The fields of a storage connection string that the store looks at. */
export interface ConnectionStringFields {
  readonly accountName?: string;
  readonly accountKey?: string;
  readonly sasToken?: string;
  readonly blobEndpoint?: string;
  readonly useDevelopmentStorage: boolean;
}

/**
 * Splits a storage connection string into its fields (names are case-insensitive, as in Azure's own
 * parsers). Values may contain `=` (base64 keys end in `=`), so only the first `=` splits.
 * @throws InvalidArgumentError naming the missing field; the message never repeats the string.
 */
export function parseConnectionString(connectionString: string): ConnectionStringFields {
  const fields = new Map<string, string>();
  for (const part of connectionString.split(";")) {
    const trimmed = part.trim();
    if (trimmed === "") continue;
    const eq = trimmed.indexOf("=");
    if (eq <= 0) {
      throw new InvalidArgumentError("Azure connection string is malformed: every part must be Name=Value");
    }
    fields.set(trimmed.slice(0, eq).trim().toLowerCase(), trimmed.slice(eq + 1).trim());
  }
  const useDevelopmentStorage = fields.get("usedevelopmentstorage")?.toLowerCase() === "true";
  const result: ConnectionStringFields = {
    accountName: fields.get("accountname"),
    accountKey: fields.get("accountkey"),
    sasToken: fields.get("sharedaccesssignature"),
    blobEndpoint: fields.get("blobendpoint"),
    useDevelopmentStorage,
  };
  if (useDevelopmentStorage) return result;
  if (result.sasToken !== undefined) {
    if (result.blobEndpoint === undefined && result.accountName === undefined) {
      throw new InvalidArgumentError("Azure connection string with SharedAccessSignature needs BlobEndpoint or AccountName");
    }
    return result;
  }
  if (!result.accountName) throw new InvalidArgumentError("Azure connection string is missing AccountName");
  if (!result.accountKey) {
    throw new InvalidArgumentError("Azure connection string is missing AccountKey (or SharedAccessSignature)");
  }
  return result;
}

type EnvOption = "connectionString" | "accountName" | "accountKey" | "sasToken" | "endpoint";

const ENV_VARIABLES: Readonly<Record<EnvOption, string>> = {
  connectionString: "AZURE_STORAGE_CONNECTION_STRING",
  accountName: "AZURE_STORAGE_ACCOUNT",
  accountKey: "AZURE_STORAGE_KEY",
  sasToken: "AZURE_STORAGE_SAS_TOKEN",
  endpoint: "AZURE_STORAGE_ENDPOINT",
};

/**
 * Store options from the environment: `AZURE_STORAGE_CONNECTION_STRING`, `AZURE_STORAGE_ACCOUNT`,
 * `AZURE_STORAGE_KEY`, `AZURE_STORAGE_SAS_TOKEN`, `AZURE_STORAGE_ENDPOINT`. Unset variables are left
 * out, so the result can be spread under explicit options. Never throws; `resolveAzureConfig` checks.
 */
export function azureOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): AzureStoreOptions {
  const options: Partial<Record<EnvOption, string>> = {};
  for (const [option, name] of Object.entries(ENV_VARIABLES) as Array<[EnvOption, string]>) {
    const value = env[name]?.trim();
    if (value) options[option] = value;
  }
  return options;
}

/**
 * Turns options into a container client without any network call.
 * @throws InvalidArgumentError naming the missing or bad field (container, credentials, endpoint,
 * sizes); messages never contain a key, SAS token or connection string.
 */
export function resolveAzureConfig(options: AzureStoreOptions): ResolvedAzureConfig {
  const prefix = normalizePrefix(options.prefix);
  const maxSingleShotSize = options.maxSingleShotSize ?? MAX_SINGLE_SHOT_SIZE;
  if (!Number.isSafeInteger(maxSingleShotSize) || maxSingleShotSize < 0 || maxSingleShotSize > MAX_SINGLE_SHOT_SIZE) {
    throw new InvalidArgumentError(`maxSingleShotSize must be an integer in [0, ${MAX_SINGLE_SHOT_SIZE}]`);
  }
  const listPageSize = options.listPageSize ?? 1000;
  if (!Number.isSafeInteger(listPageSize) || listPageSize < 1 || listPageSize > 5000) {
    throw new InvalidArgumentError("listPageSize must be an integer in [1, 5000]");
  }
  const base = { prefix, maxSingleShotSize, listPageSize };
  const secrets = [options.accountKey, options.sasToken, options.connectionString].filter(
    (s): s is string => typeof s === "string" && s.length > 0,
  );

  if (options.containerClient) {
    const client = options.containerClient;
    return { ...base, containerClient: client, conditionalContainerClient: client, secrets };
  }
  const container = options.container;
  if (container === undefined || container === "") {
    throw new InvalidArgumentError("Azure store needs a container (option `container` or an az://container/ URI)");
  }
  checkContainerName(container);
  if (options.serviceClient) {
    const client = options.serviceClient.getContainerClient(container);
    return { ...base, containerClient: client, conditionalContainerClient: client, secrets };
  }

  const service = serviceFactory(options, secrets);
  const retryOptions = options.retryOptions ?? {};
  return {
    ...base,
    containerClient: service({ retryOptions }).getContainerClient(container),
    // A conditional put retried inside the SDK after a lost answer meets its own write and fails
    // (409/412) although it succeeded; with one try the caller gets Unavailable and can resolve the
    // ambiguity itself.
    conditionalContainerClient: service({ retryOptions: { ...retryOptions, maxTries: 1 } }).getContainerClient(container),
    secrets,
  };
}

/**
 * How to build a service client from the credential options, checked now so that a mistake fails
 * before any request. Adds the secrets it finds to `secrets`.
 */
function serviceFactory(
  options: AzureStoreOptions,
  secrets: string[],
): (pipeline: StoragePipelineOptions) => BlobServiceClient {
  if (options.connectionString !== undefined) {
    const connectionString = options.connectionString;
    const fields = parseConnectionString(connectionString);
    secrets.push(...[fields.accountKey, fields.sasToken].filter((s): s is string => !!s));
    const build = (pipeline: StoragePipelineOptions): BlobServiceClient => {
      try {
        return BlobServiceClient.fromConnectionString(connectionString, pipeline);
      } catch {
        // The SDK's own message may quote parts of the string, so it is dropped on purpose.
        throw new InvalidArgumentError(
          "Azure connection string was rejected by the SDK (check AccountName, AccountKey and BlobEndpoint)",
        );
      }
    };
    build({});
    return build;
  }
  if (!options.accountName) {
    throw new InvalidArgumentError(
      "Azure store needs credentials: connectionString (AZURE_STORAGE_CONNECTION_STRING), or accountName (AZURE_STORAGE_ACCOUNT) with accountKey (AZURE_STORAGE_KEY) or sasToken",
    );
  }
  const endpoint = checkEndpoint(options.endpoint ?? `https://${options.accountName}.blob.core.windows.net`);
  if (options.accountKey) {
    const credential = new StorageSharedKeyCredential(options.accountName, options.accountKey);
    return (pipeline) => new BlobServiceClient(endpoint, credential, pipeline);
  }
  if (options.sasToken) {
    const url = `${endpoint}?${options.sasToken.replace(/^\?/, "")}`;
    return (pipeline) => new BlobServiceClient(url, undefined, pipeline);
  }
  throw new InvalidArgumentError(
    "Azure store has accountName but is missing accountKey (AZURE_STORAGE_KEY) or sasToken (AZURE_STORAGE_SAS_TOKEN)",
  );
}

/**
 * Replaces every known secret, and anything shaped like a shared key, SAS signature or connection
 * string secret, with `[REDACTED]`. Used on every message that leaves the adapter. Never throws.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("[REDACTED]");
  }
  return out
    .replace(/(AccountKey|SharedAccessSignature)=[^;\s'"]*/gi, "$1=[REDACTED]")
    .replace(/([?&]sig=)[^&\s'"]*/gi, "$1[REDACTED]")
    .replace(/(SharedKey(?:Lite)?\s+[^:\s]+:)[^\s'",]*/gi, "$1[REDACTED]")
    .replace(/(MAC signature found in the HTTP request ')[^']*/gi, "$1[REDACTED]");
}

function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === "") return "";
  const trimmed = prefix.replace(/^\/+/, "");
  if (trimmed === "") return "";
  for (const segment of trimmed.replace(/\/+$/, "").split("/")) {
    if (segment === "" || segment.endsWith(".")) {
      throw new InvalidArgumentError(
        `Azure store prefix ${JSON.stringify(prefix)} has an empty segment or one ending in '.' (Azure drops trailing dots)`,
      );
    }
  }
  return trimmed.endsWith("/") ? trimmed : `${trimmed}/`;
}

function checkContainerName(container: string): void {
  if (!CONTAINER_NAME.test(container)) {
    throw new InvalidArgumentError(
      `invalid Azure container name ${JSON.stringify(container)}: 3-63 lowercase letters, digits and single hyphens`,
    );
  }
}

function checkEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new InvalidArgumentError(`Azure endpoint is not a URL: ${JSON.stringify(redactSecrets(endpoint))}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new InvalidArgumentError(`Azure endpoint must be http or https, got ${url.protocol}`);
  }
  if (url.search !== "") {
    throw new InvalidArgumentError("Azure endpoint must not carry a query string; pass a SAS token as sasToken");
  }
  return endpoint.replace(/\/+$/, "");
}
