import { ModulesContainer } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import * as swagger from '@nestjs/swagger';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { AgentRegistry } from '@mira/agents';
import { SERVICE_VERSION } from '@mira/logging';
import {
  agentEnvelopeSchema,
  agentListSchema,
  apiErrorSchema,
  auditPageSchema,
  auditVerificationSchema,
  eventAcceptedSchema,
  workflowPageSchema,
  workflowViewSchema,
} from './openapi.schemas';
import { projectOperations, projectSchemas } from './openapi.projects';
import { scheduleOperations, scheduleSchemas } from './openapi.schedules';
import { toSchema } from './openapi.json-schema';
import { agentComponents, errorResponse, operations, type OperationDoc } from './openapi.operations';

// Required only on the first /docs request (openapi.setup.ts): @nestjs/swagger and this builder
// are not loaded at start.

/**
 * Builds the OpenAPI 3 document: Nest's scan of the controllers, completed here with what a
 * client generator needs. Request bodies come from the zod schemas the validation pipe uses; the
 * messages body is a union discriminated by `type` whose members come from the agents' own
 * schemas (AgentRegistry), so a module's agent appears with its contract.
 */
export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Mira')
    .setDescription(
      'Multi-agent workflow service for technical program management. Send an API key as ' +
        '`X-API-Key: <key>` or `Authorization: Bearer <key>`, or an OpenID Connect access token ' +
        'as `Authorization: Bearer <token>`; the inbox page uses its session cookie. The agents, their messages and the ' +
        'workflow rules are described in docs/domain.md.',
    )
    .setVersion(SERVICE_VERSION)
    .build();
  describeControllers(app);
  const document = SwaggerModule.createDocument(app, config);
  const agents = agentComponents(app.get(AgentRegistry).declared());
  document.components = {
    ...document.components,
    securitySchemes: {
      api_key: {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description: 'An API key from api.keys',
      },
      bearer: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'API key or JWT',
        description:
          'An API key from api.keys, or an OpenID Connect access token (a JWT signed by ' +
          'auth.oidc.issuer for auth.oidc.audience; its roles claim maps to Mira roles), sent as ' +
          'Authorization: Bearer <key or token>',
      },
      inbox_session: {
        type: 'apiKey',
        in: 'cookie',
        name: '__Host-mira_session',
        description:
          "The reviewers' inbox session (sign in at /inbox/login): accepted from the inbox page " +
          'itself only, with the session CSRF token (GET /inbox/session) in X-CSRF-Token and a ' +
          'same-origin request',
      },
    },
    schemas: {
      ...document.components?.schemas,
      ApiError: toSchema(apiErrorSchema),
      AgentEnvelope: toSchema(agentEnvelopeSchema),
      WorkflowView: toSchema(workflowViewSchema),
      WorkflowPage: toSchema(workflowPageSchema),
      AuditPage: toSchema(auditPageSchema),
      AuditVerification: toSchema(auditVerificationSchema),
      EventAccepted: toSchema(eventAcceptedSchema),
      AgentList: toSchema(agentListSchema),
      ...projectSchemas(toSchema),
      ...scheduleSchemas(toSchema),
      ...agents.schemas,
    } as never,
  };
  const all: Record<string, OperationDoc> = {
    ...operations(agents),
    ...projectOperations(toSchema),
    ...scheduleOperations(toSchema),
  };
  for (const [key, doc] of Object.entries(all)) {
    const [method, path] = key.split(' ');
    const op = (document.paths[path] as Record<string, any> | undefined)?.[method];
    if (!op) continue; // a route switched off in this build
    op.summary = doc.summary;
    op.tags = [doc.tag];
    op.security = [{ bearer: [] }, { api_key: [] }];
    if (doc.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: doc.body.schema, examples: doc.body.examples } },
      };
    }
    if (doc.idempotencyKey) {
      op.parameters = [
        ...(op.parameters ?? []).filter(
          (p: { name?: string }) => p.name?.toLowerCase() !== 'idempotency-key',
        ),
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'A retry with the same key returns the first answer instead of acting twice',
          schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
        },
      ];
    }
    op.responses = {};
    for (const [status, s] of Object.entries(doc.success)) {
      op.responses[status] = {
        description: s.description,
        ...(s.headers ? { headers: s.headers } : {}),
        ...(s.schema ? { content: { [s.contentType ?? 'application/json']: { schema: s.schema } } } : {}),
      };
    }
    for (const status of doc.errors) op.responses[String(status)] = errorResponse(status, doc);
  }
  // Any other /api route (a module's) still says it needs a key.
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith('/api/')) continue;
    for (const op of Object.values(item as Record<string, any>)) {
      if (op && typeof op === 'object' && 'responses' in op)
        op.security ??= [{ bearer: [] }, { api_key: [] }];
    }
  }
  return document;
}

/** A controller that describes its routes for the document instead of with @Api* decorators. */
interface DescribedController {
  describeOpenApi(api: typeof swagger): void;
}
const described = new WeakSet<object>();

/**
 * Lets controllers apply their @nestjs/swagger decorators now, just before the scan: a lib's
 * controller (the webhooks') must not load the package at start just to carry its description.
 */
function describeControllers(app: NestFastifyApplication): void {
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as Partial<DescribedController> | null;
      if (!type || typeof type.describeOpenApi !== 'function' || described.has(type)) continue;
      described.add(type); // once: decorators such as ApiTags append
      type.describeOpenApi(swagger);
    }
  }
}

/**
 * The docs routes of SwaggerModule.setup (UI, its assets, /docs/json, /docs/yaml) on a Fastify
 * instance of their own, which openapi.setup.ts forwards the app's /docs requests to: the routes
 * can't be added to the app once it listens, and this way they answer exactly as before.
 */
export async function createDocsServer(
  app: NestFastifyApplication,
  paths: { ui: string; json: string; yaml: string },
): Promise<FastifyInstance> {
  const adapter = new FastifyAdapter();
  // SwaggerModule.setup reads only the adapter (and the global prefix, unused here) from the app.
  const host = { getHttpAdapter: () => adapter } as unknown as NestFastifyApplication;
  SwaggerModule.setup(paths.ui, host, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: paths.json,
    yamlDocumentUrl: paths.yaml,
    customSiteTitle: 'Mira API',
  });
  const server = adapter.getInstance();
  await server.ready();
  return server;
}
