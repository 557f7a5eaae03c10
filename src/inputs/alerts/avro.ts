/**
 * Avro as alerts arrive: object-container files (`Obj\x01`, writer schema in the header, codec null or
 * deflate) and single datums in Confluent wire format (magic byte 0, 4-byte big-endian schema id, then the
 * datum, whose writer schema must be known by id). The container framing is read here, synchronously and
 * with bounds checks, so that a truncated or corrupted upload is named precisely; avsc decodes the records.
 *
 * Longs decode to `bigint` and are turned into numbers where exact, strings otherwise (ZTF candids and Rubin
 * diaSourceIds exceed 2^53). Field defaults are dropped from writer schemas before they are compiled: they
 * play no part in decoding, and real ZTF headers carry defaults that the Avro specification calls invalid.
 */
import { inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { InputError } from '../input-error.js';

export const CONTAINER_MAGIC = Buffer.from('Obj\x01', 'latin1');
const SYNC_SIZE = 16;

export interface DecodedAvro {
  framing: 'container' | 'confluent';
  /** Full name of the writer schema's top record (e.g. `ztf.alert`, `lsst.v10_0.alert`). */
  schemaName: string;
  /** The writer schema as JSON (defaults removed). */
  schema: unknown;
  codec: string;
  schemaId?: number;
  records: unknown[];
}

export const isContainer = (bytes: Uint8Array): boolean =>
  bytes.length >= 4 && bytes[0] === 0x4f && bytes[1] === 0x62 && bytes[2] === 0x6a && bytes[3] === 0x01;

/** Magic byte 0 followed by a 4-byte schema id: at least 6 bytes (the smallest record datum is 1 byte). */
export const isConfluent = (bytes: Uint8Array): boolean => bytes.length >= 6 && bytes[0] === 0;

const unreadable = (pointer: string, detail: string) => new InputError('Unreadable Avro', [{ pointer, detail }], 400);

/** Reads Avro's zig-zag varint longs and length-prefixed bytes, failing with a pointer instead of overrunning. */
class Cursor {
  constructor(readonly buf: Buffer, public pos: number, readonly where: string) {}

  long(what: string): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw unreadable(this.where, `ends inside ${what} (byte ${this.pos} of ${this.buf.length}): the upload is truncated`);
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw unreadable(this.where, `has an over-long varint for ${what} at byte ${this.pos}`);
    }
    const value = (result >> 1n) ^ -(result & 1n);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw unreadable(this.where, `has an impossible ${what} (${value}) at byte ${this.pos}`);
    }
    return Number(value);
  }

  bytes(what: string): Buffer {
    const size = this.long(`the length of ${what}`);
    if (size < 0) throw unreadable(this.where, `has a negative length for ${what} at byte ${this.pos}`);
    return this.take(size, what);
  }

  take(size: number, what: string): Buffer {
    if (this.pos + size > this.buf.length) {
      throw unreadable(this.where, `ends inside ${what}: ${size} bytes expected at byte ${this.pos}, ${this.buf.length - this.pos} left; the upload is truncated`);
    }
    const out = this.buf.subarray(this.pos, this.pos + size);
    this.pos += size;
    return out;
  }
}

/** Reads an Avro object-container file: header, writer schema and every record of every block. */
export function readContainer(input: Uint8Array): DecodedAvro {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (!isContainer(buf)) throw unreadable('/avro/header', 'does not start with the Avro object-container magic "Obj\\x01"');
  const header = new Cursor(buf, 4, '/avro/header');
  const meta = new Map<string, Buffer>();
  for (;;) {
    let count = header.long('the metadata block count');
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      header.long('the metadata block size');
    }
    if (count > 1000) throw unreadable('/avro/header', `declares ${count} metadata entries; the header is corrupted`);
    for (let i = 0; i < count; i++) {
      const key = header.bytes('a metadata key').toString('utf8');
      meta.set(key, header.bytes(`the metadata value "${key}"`));
    }
  }
  const sync = header.take(SYNC_SIZE, 'the sync marker');
  const schemaText = meta.get('avro.schema');
  if (!schemaText) throw unreadable('/avro/header/avro.schema', 'is missing: the file carries no writer schema');
  const codec = meta.get('avro.codec')?.toString('utf8') || 'null';
  if (codec !== 'null' && codec !== 'deflate') {
    throw new InputError('Unsupported Avro', [{ pointer: '/avro/header/avro.codec', detail: `is "${codec}"; only "null" and "deflate" are supported` }], 422);
  }
  let schemaJson: unknown;
  try {
    schemaJson = JSON.parse(schemaText.toString('utf8'));
  } catch (error) {
    throw unreadable('/avro/header/avro.schema', `is not valid JSON (${(error as Error).message}); the header is corrupted`);
  }
  const { type, schema } = compile(schemaJson, '/avro/header/avro.schema');

  const records: unknown[] = [];
  const body = new Cursor(buf, header.pos, '/avro/block/0');
  for (let block = 0; body.pos < buf.length; block++) {
    const where = `/avro/block/${block}`;
    const cursor = new Cursor(buf, body.pos, where);
    const count = cursor.long('the record count');
    const size = cursor.long('the block size');
    if (count < 0 || size < 0) throw unreadable(where, `declares ${count} records in ${size} bytes; the file is corrupted`);
    let data = cursor.take(size, 'the block data');
    const marker = cursor.take(SYNC_SIZE, 'the sync marker');
    if (!marker.equals(sync)) throw unreadable(where, 'is not followed by the sync marker of the header; the file is corrupted or truncated');
    if (codec === 'deflate') {
      try {
        data = inflateRawSync(data);
      } catch (error) {
        throw unreadable(where, `cannot be inflated (${(error as Error).message})`);
      }
    }
    let offset = 0;
    for (let i = 0; i < count; i++) {
      records.push(decodeDatum(type, data, offset, `${where}/record/${i}`, (end) => (offset = end)));
    }
    if (offset !== data.length) throw unreadable(where, `has ${data.length - offset} bytes left after its ${count} records; the writer schema does not match the data`);
    body.pos = cursor.pos;
  }
  return { framing: 'container', schemaName: String(type.name ?? ''), schema, codec, records };
}

/** Reads one Confluent-framed datum with the writer schema registered under its id. */
export function readConfluent(input: Uint8Array, writerSchemas: ReadonlyMap<number, unknown>): DecodedAvro {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (!isConfluent(buf)) throw unreadable('/avro/framing', 'is not Confluent wire format (magic byte 0 and a 4-byte schema id)');
  const schemaId = buf.readUInt32BE(1);
  const writer = writerSchemas.get(schemaId);
  if (writer === undefined) {
    const known = [...writerSchemas.keys()].join(', ') || 'none';
    throw new InputError('Unknown Avro schema', [{ pointer: '/avro/schemaId', detail: `is ${schemaId}, which is not a registered writer schema (known ids: ${known})` }], 422);
  }
  const { type, schema } = compile(writer, '/avro/schemaId');
  let end = 0;
  const record = decodeDatum(type, buf, 5, '/avro/datum', (e) => (end = e));
  if (end !== buf.length) {
    throw unreadable('/avro/datum', `has ${buf.length - end} bytes left after the record; schema id ${schemaId} does not describe this datum`);
  }
  return { framing: 'confluent', schemaName: String(type.name ?? ''), schema, codec: 'null', schemaId, records: [record] };
}

/** Avro long ⇄ bigint (exact beyond 2^53). */
export const LongAsBigInt = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const out = Buffer.alloc(8);
    out.writeBigInt64LE(BigInt(n));
    return out;
  },
  fromJSON: (v: unknown) => BigInt(v as number),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

const compiled = new Map<string, { type: avro.Type; schema: unknown }>();

function compile(schemaJson: unknown, pointer: string): { type: avro.Type; schema: unknown } {
  const key = JSON.stringify(schemaJson);
  const cached = compiled.get(key);
  if (cached) return cached;
  const schema = withoutDefaults(schemaJson);
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(schema as avro.Schema, { registry: { long: LongAsBigInt }, wrapUnions: false });
  } catch (error) {
    throw new InputError('Unsupported Avro', [{ pointer, detail: `is not a usable Avro schema: ${(error as Error).message}` }], 422);
  }
  const entry = { type, schema };
  if (compiled.size > 64) compiled.clear();
  compiled.set(key, entry);
  return entry;
}

function withoutDefaults(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDefaults);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'default') continue;
      out[key] = withoutDefaults(value);
    }
    return out;
  }
  return node;
}

function decodeDatum(type: avro.Type, data: Buffer, offset: number, where: string, setEnd: (end: number) => void): unknown {
  let decoded: { value: unknown; offset: number };
  try {
    decoded = type.decode(data, offset) as { value: unknown; offset: number };
  } catch (error) {
    throw unreadable(where, `cannot be decoded with the writer schema: ${(error as Error).message}`);
  }
  if (decoded.offset < 0) throw unreadable(where, 'ends before the record does: the data is truncated');
  setEnd(decoded.offset);
  return plain(decoded.value);
}

/** Decoded avsc values as plain JSON-like data: bigint → number where exact (string otherwise), records → objects. */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = plain(v);
    return out;
  }
  return value;
}
