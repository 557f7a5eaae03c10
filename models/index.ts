/** The mongoose models of the provenance store, registered on a given connection (never the global one). */
import type { Connection, Model } from 'mongoose';
import { CLASSIFICATION_MODEL, classificationSchema, type ClassificationDoc } from './classification.js';
import { DATAPOINT_MODEL, datapointSchema, type DatapointDoc } from './datapoint.js';
import { JOB_MODEL, jobSchema, type JobDoc } from './job.js';
import { OBJECT_MODEL, objectSchema, type ObjectDoc } from './object.js';
import { TRACE_MODEL, traceSchema, type TraceDoc } from './trace.js';

export * from './classification.js';
export * from './datapoint.js';
export * from './enums.js';
export * from './job.js';
export * from './object.js';
export * from './trace.js';

export interface StoreModels {
  Datapoint: Model<DatapointDoc>;
  AstroObject: Model<ObjectDoc>;
  Job: Model<JobDoc>;
  Classification: Model<ClassificationDoc>;
  Trace: Model<TraceDoc>;
}

function modelOn<T>(conn: Connection, name: string, schema: import('mongoose').Schema<T>): Model<T> {
  return (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema);
}

/** Registers (or returns the already registered) models on `conn`. */
export function registerModels(conn: Connection): StoreModels {
  return {
    Datapoint: modelOn(conn, DATAPOINT_MODEL, datapointSchema),
    AstroObject: modelOn(conn, OBJECT_MODEL, objectSchema),
    Job: modelOn(conn, JOB_MODEL, jobSchema),
    Classification: modelOn(conn, CLASSIFICATION_MODEL, classificationSchema),
    Trace: modelOn(conn, TRACE_MODEL, traceSchema),
  };
}
