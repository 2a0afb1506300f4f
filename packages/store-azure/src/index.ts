export { AzureStore, canonicalEtag } from "./azure-store.js";
export {
  MAX_SINGLE_SHOT_SIZE,
  azureOptionsFromEnv,
  parseAzureUri,
  parseConnectionString,
  redactSecrets,
  resolveAzureConfig,
  type AzureStoreOptions,
  type AzureUri,
  type ConnectionStringFields,
  type ResolvedAzureConfig,
} from "./config.js";
export { AzureErrorDetail, mapAzureError, type AzureErrorContext, type AzureOperation } from "./map-error.js";
