/** One thing wrong with a request, located by a JSON pointer into the body (or a query parameter name). */
export interface FieldProblem {
  pointer: string;
  detail: string;
}

/**
 * A request that cannot be classified as sent. Rendered as `application/problem+json` (RFC 9457) with the
 * list of field problems; nothing is stored for it.
 */
export class InputError extends Error {
  readonly statusCode: number;
  readonly problems: FieldProblem[];

  constructor(title: string, problems: FieldProblem[], statusCode = 422) {
    super(`${title}: ${problems.map((p) => `${p.pointer} ${p.detail}`).join('; ')}`);
    this.name = 'InputError';
    this.statusCode = statusCode;
    this.problems = problems;
  }
}
