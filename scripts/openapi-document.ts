import { startTestInstance } from '../test/helpers/service.js';

/** The OpenAPI document of an all-in-one instance on the committed artifacts. */
export async function openapiDocument(): Promise<unknown> {
  const instance = await startTestInstance();
  try {
    return instance.app.swagger();
  } finally {
    await instance.close();
  }
}
