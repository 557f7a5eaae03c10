/**
 * `objects` (AMPEL stock): one document per astronomical object with its aliases, first/last seen and the
 * **journal embedded as an array**.
 *
 * Why embedded rather than a separate journal collection: (1) it is AMPEL's own layout (the journal lives in
 * the stock document); (2) reading an object with its journal — the main query by object id — is one
 * document fetch; (3) above all, the intake write "create/update the object and journal `received`" and
 * the completion write "journal `classified`" are each ONE single-document update, atomic in MongoDB even
 * without a replica set, which keeps the store consistent when transactions are unavailable. The cost is
 * document growth: a journal entry is ~200 bytes and a job adds two or three, so an object reaches the
 * 16 MiB document limit only after tens of thousands of jobs; should that become real, the journal can be
 * split into buckets without changing the ProvenanceStore interface.
 */
import { Schema } from 'mongoose';
import type { JournalEvent } from '../src/provenance/records.js';
import { JOURNAL_EVENTS } from './enums.js';

export interface JournalEntryDoc {
  at: Date;
  event: JournalEvent;
  jobId: string;
  traceId?: string;
  classificationId?: string;
  detail?: string;
}

export interface ObjectDoc {
  _id: string;
  aliases: string[];
  firstSeen: Date;
  lastSeen: Date;
  journal: JournalEntryDoc[];
}

export const journalEntrySchema = new Schema<JournalEntryDoc>(
  {
    at: { type: Date, required: true },
    event: { type: String, required: true, enum: JOURNAL_EVENTS },
    jobId: { type: String, required: true },
    traceId: { type: String },
    classificationId: { type: String },
    detail: { type: String },
  },
  { _id: false },
);

export const objectSchema = new Schema<ObjectDoc>(
  {
    _id: { type: String, required: true, minlength: 1 },
    aliases: { type: [String], default: [] },
    firstSeen: { type: Date, required: true },
    lastSeen: { type: Date, required: true },
    journal: { type: [journalEntrySchema], default: [] },
  },
  { collection: 'objects', versionKey: false, minimize: false },
);

objectSchema.index({ aliases: 1 });
objectSchema.index({ 'journal.jobId': 1 });

export const OBJECT_MODEL = 'AstroObject';
