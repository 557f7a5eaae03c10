/** `traces`: content-addressed (`_id` = hash of the canonical trace content), stored once, never edited. */
import { Schema } from 'mongoose';

export interface TraceDoc {
  _id: string;
  content: Record<string, unknown>;
  createdAt: Date;
}

export const traceSchema = new Schema<TraceDoc>(
  {
    _id: { type: String, required: true, minlength: 1 },
    content: { type: Schema.Types.Mixed, required: true, immutable: true },
    createdAt: { type: Date, required: true, immutable: true },
  },
  { collection: 'traces', versionKey: false, minimize: false },
);

export const TRACE_MODEL = 'Trace';
