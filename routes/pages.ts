import { withLinks } from '../src/http/links.js';
import type { Classification, Page } from '../src/provenance/records.js';

/** A store page in the REST (and GraphQL) connection shape. */
export function classificationPage(page: Page<Classification>) {
  return {
    items: page.items.map(withLinks),
    pageInfo: { hasNextPage: page.nextCursor !== undefined, ...(page.nextCursor ? { endCursor: page.nextCursor } : {}) },
  };
}
