import { crc32cBase64, md5Base64 } from "./hashes.js";

/** A failure the HTTP layer turns into Google's JSON error body. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface StoredObject {
  readonly bucket: string;
  readonly name: string;
  readonly bytes: Buffer;
  readonly generation: bigint;
  readonly metageneration: bigint;
  readonly contentType: string;
  readonly metadata: Record<string, string> | undefined;
  readonly created: Date;
  readonly crc32c: string;
  readonly md5Hash: string;
}

/** The four generation/metageneration preconditions of the JSON API, as given in the query string. */
export interface Preconditions {
  readonly ifGenerationMatch?: bigint;
  readonly ifGenerationNotMatch?: bigint;
  readonly ifMetagenerationMatch?: bigint;
  readonly ifMetagenerationNotMatch?: bigint;
}

export interface Bucket {
  readonly name: string;
  readonly created: Date;
  readonly objects: Map<string, StoredObject>;
}

/**
 * All buckets and objects of one server. Every mutating method checks and applies in one synchronous
 * step, which is what makes preconditions atomic: no other request can run in between.
 */
export class ServerState {
  private readonly buckets = new Map<string, Bucket>();
  private lastGeneration = 0n;

  createBucket(name: string): Bucket {
    if (!/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(name)) {
      throw new ApiFailure(400, "invalid", `Invalid bucket name: '${name}'`);
    }
    if (this.buckets.has(name)) {
      throw new ApiFailure(409, "conflict", "The requested bucket name is not available.");
    }
    const bucket: Bucket = { name, created: new Date(), objects: new Map() };
    this.buckets.set(name, bucket);
    return bucket;
  }

  bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new ApiFailure(404, "notFound", "The specified bucket does not exist.");
    return bucket;
  }

  deleteBucket(name: string): void {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0) throw new ApiFailure(409, "conflict", "The bucket you tried to delete is not empty.");
    this.buckets.delete(name);
  }

  /** The live object, after checking `pre`. @throws ApiFailure 404 when absent, 412/304 when a precondition fails. */
  read(bucketName: string, name: string, pre: Preconditions, generation?: bigint): StoredObject {
    const object = this.bucket(bucketName).objects.get(name);
    if (!object || (generation !== undefined && object.generation !== generation)) {
      throw new ApiFailure(404, "notFound", `No such object: ${bucketName}/${name}`);
    }
    checkPreconditions(object, pre, "read");
    return object;
  }

  insert(
    bucketName: string,
    name: string,
    bytes: Buffer,
    contentType: string,
    metadata: Record<string, string> | undefined,
    pre: Preconditions,
  ): StoredObject {
    const bucket = this.bucket(bucketName);
    checkPreconditions(bucket.objects.get(name), pre, "write");
    const object: StoredObject = {
      bucket: bucketName,
      name,
      bytes,
      generation: this.nextGeneration(),
      metageneration: 1n,
      contentType,
      metadata,
      created: new Date(),
      crc32c: crc32cBase64(bytes),
      md5Hash: md5Base64(bytes),
    };
    bucket.objects.set(name, object);
    return object;
  }

  delete(bucketName: string, name: string, pre: Preconditions, generation?: bigint): void {
    const bucket = this.bucket(bucketName);
    const object = this.read(bucketName, name, {}, generation);
    checkPreconditions(object, pre, "write");
    bucket.objects.delete(name);
  }

  // Generations are microsecond timestamps in GCS; here they only need to be unique and increasing.
  private nextGeneration(): bigint {
    const now = BigInt(Date.now()) * 1000n;
    this.lastGeneration = now > this.lastGeneration ? now : this.lastGeneration + 1n;
    return this.lastGeneration;
  }
}

/**
 * GCS semantics: `ifGenerationMatch=0` means "no live object"; any other precondition on a missing object
 * fails; the `...NotMatch` forms answer 304 on reads and 412 on writes.
 */
function checkPreconditions(object: StoredObject | undefined, pre: Preconditions, kind: "read" | "write"): void {
  const fail = (what: string): never => {
    throw new ApiFailure(412, "conditionNotMet", `At least one of the pre-conditions you specified did not hold (${what}).`);
  };
  if (pre.ifGenerationMatch !== undefined) {
    const current = object?.generation ?? 0n;
    if (current !== pre.ifGenerationMatch) fail("ifGenerationMatch");
  }
  if (pre.ifGenerationNotMatch !== undefined) {
    if (!object) fail("ifGenerationNotMatch: no live object");
    else if (object.generation === pre.ifGenerationNotMatch) {
      if (kind === "read") throw new ApiFailure(304, "notModified", "Not Modified");
      fail("ifGenerationNotMatch");
    }
  }
  if (pre.ifMetagenerationMatch !== undefined && object?.metageneration !== pre.ifMetagenerationMatch) {
    fail("ifMetagenerationMatch");
  }
  if (pre.ifMetagenerationNotMatch !== undefined) {
    if (!object) fail("ifMetagenerationNotMatch");
    else if (object.metageneration === pre.ifMetagenerationNotMatch) {
      if (kind === "read") throw new ApiFailure(304, "notModified", "Not Modified");
      fail("ifMetagenerationNotMatch");
    }
  }
}
