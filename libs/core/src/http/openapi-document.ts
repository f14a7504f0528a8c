import { VersioningType, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { API_KEY_SECURITY, PUBLIC_OPERATION_EXTENSION } from '../auth/auth.decorators';
import { documentResponseHeaders } from './api-problems.decorator';

/** Routes are versioned in the URI (`/v1/...`); the document and the server must agree. */
export function useUriVersioning(app: INestApplication): void {
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
}

/**
 * The operation id of a route whose `@ApiOperation` names none: the controller's name and
 * the method's, camelCased (`ItemsController.create` → `itemsCreate`). Every route of the
 * API names its own; this keeps a new one unique until it does.
 */
export function fallbackOperationId(controllerKey: string, methodKey: string): string {
  const controller = controllerKey.replace(/Controller$/, '');
  const head = controller.charAt(0).toLowerCase() + controller.slice(1);
  return head + methodKey.charAt(0).toUpperCase() + methodKey.slice(1);
}

/**
 * The API's OpenAPI document, built from the controllers' decorators. Swagger UI, /docs-json,
 * /docs-yaml, `npm run openapi` (packages/client/openapi.json) and `keel openapi` all use
 * this, so they cannot disagree. The app need not be initialised or listening: one created
 * with `createPreviewApp` (no database, no connections) gives the same document.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Keel API')
    .setDescription(
      'Errors are RFC 9457 application/problem+json. Sign in with /v1/auth/login and paste the accessToken into Authorize.',
    )
    .setVersion('1')
    .setLicense('MIT', 'https://opensource.org/license/mit')
    .addServer('/', 'The server this document was served by')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'keel_…',
        description:
          'An API key from POST /v1/auth/api-keys: only on routes that name its scope (items:read, items:write).',
      },
      API_KEY_SECURITY,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: fallbackOperationId,
  });
  return sortedDocument(documentSecurity(documentResponseHeaders(document)));
}

/**
 * Creates the application in Nest's preview mode: modules and controllers are scanned, no
 * provider is instantiated, so nothing connects to a database, Redis or a broker and nothing
 * listens. Enough for `buildOpenApiDocument`, and nothing else.
 */
export async function createPreviewApp(rootModule: Type): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  useUriVersioning(app);
  return app;
}

/**
 * Every operation states who may call it: the schemes it names, or none (`security: []`) when
 * it is `@Public()`. One that does neither would be guarded by the JWT guard while the document
 * says nothing: that is a missing `@ApiBearerAuth()`, refused here rather than published.
 */
function documentSecurity(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      const record = operation as unknown as Record<string, unknown>;
      const isPublic = record[PUBLIC_OPERATION_EXTENSION] === true;
      delete record[PUBLIC_OPERATION_EXTENSION];
      if (isPublic) operation.security = [];
      else if (!operation.security?.length) {
        throw new Error(
          `${method.toUpperCase()} ${path} is neither @Public() nor documents its security (@ApiBearerAuth())`,
        );
      }
    }
  }
  return document;
}

/**
 * The same document with its paths and component schemas in name order, so the file written
 * from it does not change with the order modules are imported in.
 */
function sortedDocument(document: OpenAPIObject): OpenAPIObject {
  const byKey = <T>(record: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const components = document.components ?? {};
  return {
    ...document,
    paths: byKey(document.paths),
    components: {
      ...components,
      ...(components.schemas ? { schemas: byKey(components.schemas) } : {}),
    },
  };
}
