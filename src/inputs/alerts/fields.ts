/** Small readers shared by the alert parsers: records, numbers and identifiers as decoded from Avro or JSON. */
import { InputError } from '../input-error.js';

export interface AlertOptions {
  /** Object id to use when the packet carries none (a client's own name for it). */
  objectId?: string;
  /** Writer schemas of Confluent-framed datums, by schema id (defaults to the built-in registry). */
  writerSchemas?: ReadonlyMap<number, unknown>;
}

export function asRecord(value: unknown, pointer: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw new InputError('Invalid alert', [{ pointer, detail: `must be an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}` }]);
  }
  return value as Record<string, unknown>;
}

/** A finite number, or undefined for null/absent/non-finite (optional context fields). */
export function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Identifiers as strings: longs beyond 2^53 arrive as strings already (Avro) or as digit strings (JSON exports). */
export function idOf(value: unknown): string {
  return typeof value === 'bigint' ? value.toString() : String(value);
}
