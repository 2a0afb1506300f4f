export { S3Store } from "./s3-store.js";
export {
  normalizePrefix,
  parseS3Uri,
  resolveS3Options,
  s3OptionsFromEnv,
  type ConditionalUpdate,
  type ResolvedS3Options,
  type S3ClientLike,
  type S3Compat,
  type S3Credentials,
  type S3Location,
  type S3StoreOptions,
} from "./config.js";
export { mapS3Error, type S3ErrorContext, type S3Operation } from "./map-error.js";
