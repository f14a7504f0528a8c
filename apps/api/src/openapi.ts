import { buildOpenApiDocument, createPreviewApp } from '@keel/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from './app.module';

/**
 * The API's OpenAPI document without a database, a broker or a listening port: the app is
 * created in preview mode (see createPreviewApp), read, and closed.
 */
export async function createOpenApiDocument(): Promise<OpenAPIObject> {
  const app = await createPreviewApp(AppModule);
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
