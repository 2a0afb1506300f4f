/**
 * WAL entry codec: one Arrow IPC *stream* per entry (schema message, record batch messages,
 * end-of-stream marker), with the writer's epoch in the schema metadata (DESIGN.md section 3).
 */
import { DataType, Message, RecordBatch, RecordBatchReader, RecordBatchStreamWriter, Schema, util, type Field } from "apache-arrow";
// Deep imports of the same modules apache-arrow itself uses (its package exports "./*"): the message
// header and the assembler that lays out a batch's buffers, so an entry can be written in one pass.
import { RecordBatch as RecordBatchHeader } from "apache-arrow/ipc/metadata/message";
import { VectorAssembler } from "apache-arrow/visitor/vectorassembler";
import { CorruptEntryError, InvalidArgumentError } from "./errors.js";

export const WRITER_EPOCH_KEY = "writer_epoch";
export const FENCE_SENTINEL_KEY = "fence_sentinel";

const EOS = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);

export interface EntryStamp {
  /** The writer's epoch, written as a decimal string. */
  readonly writerEpoch: bigint;
}

export interface DecodedWalEntry {
  readonly writerEpoch: bigint;
  readonly isSentinel: boolean;
  /** The schema with `writer_epoch` removed, original metadata kept. */
  readonly schema: Schema;
  /** Batches under the stripped schema; empty for a sentinel. Column data are views of the input bytes. */
  readonly batches: RecordBatch[];
  readonly rows: number;
  readonly bytes: number;
}

/** True when two schemas have the same fields (names, types, nullability) and the same metadata. */
export function sameSchema(a: Schema, b: Schema): boolean {
  if (a === b) return true;
  if (!util.compareSchemas(a, b)) return false;
  if (a.metadata.size !== b.metadata.size) return false;
  for (const [k, v] of a.metadata) if (b.metadata.get(k) !== v) return false;
  return true;
}

function stampedSchema(schema: Schema, stamp: EntryStamp, extra?: Record<string, string>): Schema {
  if (typeof stamp.writerEpoch !== "bigint" || stamp.writerEpoch < 0n) {
    throw new InvalidArgumentError(`writerEpoch must be a non-negative bigint, got ${String(stamp.writerEpoch)}`);
  }
  const metadata = new Map(schema.metadata);
  metadata.set(WRITER_EPOCH_KEY, stamp.writerEpoch.toString());
  for (const [k, v] of Object.entries(extra ?? {})) metadata.set(k, v);
  return new Schema(schema.fields, metadata, schema.dictionaries, schema.metadataVersion);
}

function strippedSchema(schema: Schema): Schema {
  const metadata = new Map(schema.metadata);
  metadata.delete(WRITER_EPOCH_KEY);
  return new Schema(schema.fields, metadata, schema.dictionaries, schema.metadataVersion);
}

/**
 * Encodes `batches` as one WAL entry. The batches' column buffers are written once, straight into the
 * output (no intermediate table).
 * @throws InvalidArgumentError when there are no batches, a batch has zero rows, or the batches do not
 * all share one schema (the error names the index of the offending batch).
 */
export function encodeWalEntry(batches: readonly RecordBatch[], stamp: EntryStamp): Uint8Array {
  if (batches.length === 0) throw new InvalidArgumentError("a WAL entry needs at least one batch");
  const first = batches[0]!;
  batches.forEach((b, i) => {
    if (!(b instanceof RecordBatch)) throw new InvalidArgumentError(`batch ${i} is not an apache-arrow RecordBatch`);
    if (b.numRows === 0) throw new InvalidArgumentError(`batch ${i} has zero rows; WAL entries never hold empty batches`);
    if (!sameSchema(first.schema, b.schema)) {
      throw new InvalidArgumentError(`batch ${i} has a different schema from batch 0; one entry holds one schema`);
    }
  });
  const schema = stampedSchema(first.schema, stamp);
  if (hasDictionary(schema.fields)) {
    // Dictionary batches need the writer's dictionary bookkeeping; rare in WAL data, so take the slow path.
    const writer = new RecordBatchStreamWriter();
    writer.reset(undefined, schema);
    for (const b of batches) writer.write(new RecordBatch(schema, b.data));
    return writer.finish().toUint8Array(true);
  }
  return encodeStream(schema, batches);
}

function hasDictionary(fields: readonly Field[]): boolean {
  return fields.some((f) => DataType.isDictionary(f.type) || hasDictionary((f.type.children ?? []) as Field[]));
}

const CONTINUATION = 0xffffffff;

/**
 * Writes an IPC stream (schema, record batches, end-of-stream) into one buffer sized up front: each
 * column buffer is copied exactly once, straight from the batch into the output. The bytes are the
 * same as apache-arrow's stream writer produces (a test holds them equal).
 */
function encodeStream(schema: Schema, batches: readonly RecordBatch[]): Uint8Array {
  const schemaMessage = Message.encode(Message.from(schema));
  const parts = batches.map((batch) => {
    const assembled = VectorAssembler.assemble(batch);
    const header = new RecordBatchHeader(batch.numRows, assembled.nodes, assembled.bufferRegions, null);
    return { message: Message.encode(Message.from(header, assembled.byteLength)), assembled };
  });
  const framed = (metadata: Uint8Array): number => align8(8 + metadata.byteLength);
  let total = framed(schemaMessage) + 8;
  for (const p of parts) total += framed(p.message) + p.assembled.byteLength;
  const out = new Uint8Array(total); // zero-filled: padding needs no writes
  const view = new DataView(out.buffer);
  let offset = 0;
  const writeMessage = (metadata: Uint8Array): void => {
    const size = framed(metadata);
    view.setUint32(offset, CONTINUATION, true);
    view.setInt32(offset + 4, size - 8, true);
    out.set(metadata, offset + 8);
    offset += size;
  };
  writeMessage(schemaMessage);
  for (const { message, assembled } of parts) {
    writeMessage(message);
    const body = offset;
    assembled.buffers.forEach((buffer, i) => {
      const region = assembled.bufferRegions[i]!;
      out.set(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), body + region.offset);
    });
    offset += assembled.byteLength;
  }
  view.setUint32(offset, CONTINUATION, true); // end of stream: continuation marker, then length 0
  return out;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Encodes the fence sentinel: no fields, `{writer_epoch, fence_sentinel: "true"}`, zero batches. */
export function encodeFenceSentinel(stamp: EntryStamp): Uint8Array {
  const schema = stampedSchema(new Schema([]), stamp, { [FENCE_SENTINEL_KEY]: "true" });
  const writer = new RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  return writer.finish().toUint8Array(true);
}

function endsWithEos(bytes: Uint8Array): boolean {
  if (bytes.byteLength < EOS.length) return false;
  const tail = bytes.subarray(bytes.byteLength - EOS.length);
  return tail.every((b, i) => b === EOS[i]);
}

/**
 * Decodes one WAL entry.
 * @param key the object key, named in every error.
 * @throws CorruptEntryError for a truncated stream (no end-of-stream marker), bytes that are not an
 * Arrow IPC stream, a missing or non-numeric `writer_epoch`, more than one schema in the entry, or a
 * non-sentinel entry without batches.
 */
export function decodeWalEntry(bytes: Uint8Array, key: string, position?: bigint): DecodedWalEntry {
  const corrupt = (reason: string, cause?: unknown): never => {
    throw new CorruptEntryError(key, reason, position, cause);
  };
  if (!endsWithEos(bytes)) corrupt("truncated: no Arrow IPC end-of-stream marker");
  let schema: Schema | undefined;
  const raw: RecordBatch[] = [];
  try {
    let streams = 0;
    for (const reader of RecordBatchReader.readAll(bytes)) {
      // readAll yields one reader per concatenated stream; a second stream means a second schema.
      const opened = reader.open({ autoDestroy: false });
      if (!opened.schema) break;
      streams++;
      if (streams > 1) corrupt("holds more than one schema (several IPC streams)");
      schema = opened.schema;
      for (const batch of opened) raw.push(batch);
    }
  } catch (e) {
    if (e instanceof CorruptEntryError) throw e;
    corrupt(`not a readable Arrow IPC stream (${e instanceof Error ? e.message : String(e)})`, e);
  }
  if (!schema) return corrupt("no Arrow IPC schema message");
  const epochText = schema.metadata.get(WRITER_EPOCH_KEY);
  if (epochText === undefined) corrupt(`schema metadata has no '${WRITER_EPOCH_KEY}'`);
  if (!/^[0-9]{1,20}$/.test(epochText!)) corrupt(`'${WRITER_EPOCH_KEY}' is not a decimal integer: ${JSON.stringify(epochText)}`);
  const writerEpoch = BigInt(epochText!);
  const isSentinel = schema.metadata.get(FENCE_SENTINEL_KEY) === "true";
  const stripped = strippedSchema(schema);
  // The Arrow reader yields an empty placeholder batch for a stream without batches; real entries never
  // hold zero-row batches, so dropping every zero-row batch loses nothing.
  const batches = isSentinel ? [] : raw.filter((b) => b.numRows > 0).map((b) => new RecordBatch(stripped, b.data));
  if (!isSentinel && batches.length === 0) corrupt("entry holds no batches and is not a fence sentinel");
  const rows = batches.reduce((n, b) => n + b.numRows, 0);
  return { writerEpoch, isSentinel, schema: stripped, batches, rows, bytes: bytes.byteLength };
}
