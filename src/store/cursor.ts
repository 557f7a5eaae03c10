/**
 * Keyset pagination shared by both stores: classifications are listed newest first, ordered by
 * (createdAt DESC, id DESC), and a cursor names the last item of a page. The cursor is opaque to clients
 * (base64url of a small JSON object) and is validated strictly on the way back in.
 */
import { InvalidCursorError } from './provenance-store.js';

export interface CursorPosition {
  /** Normalised ISO timestamp (`Date#toISOString`) of the last item returned. */
  createdAt: string;
  id: string;
}

export const MAX_PAGE_SIZE = 500;

/** `first` clamped to 1..500 (a non-finite value counts as 1). */
export function clampFirst(first: number): number {
  if (!Number.isFinite(first)) return 1;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(first)));
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify({ c: position.createdAt, i: position.id }), 'utf8').toString('base64url');
}

/** Decodes a cursor issued by `encodeCursor`; anything else throws `InvalidCursorError`. */
export function decodeCursor(cursor: string): CursorPosition {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError(String(cursor));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidCursorError(cursor);
  const { c, i } = parsed as { c?: unknown; i?: unknown };
  if (typeof c !== 'string' || typeof i !== 'string' || i.length === 0) throw new InvalidCursorError(cursor);
  const time = Date.parse(c);
  if (Number.isNaN(time) || new Date(time).toISOString() !== c) throw new InvalidCursorError(cursor);
  return { createdAt: c, id: i };
}

/**
 * Normalises an ISO timestamp to `Date#toISOString` form (UTC, milliseconds), the form both stores keep so
 * that string order is time order. Throws a RangeError naming `what` for a value that is not a date.
 */
export function normaliseTimestamp(value: string, what: string): string {
  const time = Date.parse(value);
  if (typeof value !== 'string' || Number.isNaN(time)) throw new RangeError(`invalid ${what} timestamp: ${String(value)}`);
  return new Date(time).toISOString();
}

/*
 * Errors shared by both stores. They live here only because the store files are owned separately from
 * provenance-store.ts; they are re-exported from src/store/index.ts.
 */
