import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { SERVICE_VERSION } from '@mira/logging';

export const OPENAPI_UI_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs/json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Builds the OpenAPI 3 document from the controllers (request bodies come from the same zod
 * schemas the validation pipe uses, through their Standard JSON Schema export) and serves it at
 * /docs (Swagger UI) and /docs/json. /api/* operations are marked as needing an API key.
 */
export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Mira')
    .setDescription('Multi-agent workflow service for technical program management')
    .setVersion(SERVICE_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key from api.keys' }, 'bearer')
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key from api.keys' },
      'api_key',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith('/api/')) continue;
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op) continue;
      op.security = [{ bearer: [] }, { api_key: [] }];
      op.responses = {
        ...op.responses,
        '401': op.responses?.['401'] ?? { description: 'Missing or invalid API key' },
        '429': op.responses?.['429'] ?? { description: 'Rate limited (see Retry-After)' },
      };
    }
  }
  return document;
}

export function setupOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup(OPENAPI_UI_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    yamlDocumentUrl: 'docs/yaml',
    customSiteTitle: 'Mira API',
  });
  return document;
}
