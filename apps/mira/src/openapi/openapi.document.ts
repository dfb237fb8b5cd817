import { ModulesContainer } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import * as swagger from '@nestjs/swagger';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AgentRegistry, type RegisteredAgent } from '@mira/agents';
import { SERVICE_VERSION } from '@mira/logging';
import {
  approveBodySchema,
  cancelBodySchema,
  eventBodySchema,
  rejectBodySchema,
  workflowBodySchema,
} from '../api/api.schemas';
import {
  agentEnvelopeSchema,
  agentListSchema,
  apiErrorSchema,
  auditPageSchema,
  auditVerificationSchema,
  eventAcceptedSchema,
  successEnvelope,
  workflowPageSchema,
  workflowViewSchema,
} from './openapi.schemas';
import { projectOperations, projectSchemas } from './openapi.projects';

// Required only on the first /docs request (openapi.setup.ts): @nestjs/swagger and this builder
// are not loaded at start.

type JsonSchema = Record<string, unknown>;
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** zod -> OpenAPI 3.0 schema object (the same export the validation pipe's bodies use). */
function toSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return tidy(out) as JsonSchema;
}

// `nullable` needs a `type` beside it in OpenAPI 3.0; an untyped schema accepts null already.
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (!node || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) out[k] = tidy(v);
  if (out.nullable === true && out.type === undefined) delete out.nullable;
  return out;
}

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid body, query or header: the message names the field',
  401: 'Missing or invalid API key',
  403: "The key's roles do not allow this (or a governance rule forbids it)",
  404: 'Not found',
  409: 'Conflict with the current state (the body says the status it is in now)',
  413: 'Body over server.body_limit_bytes',
  415: 'Not JSON: send Content-Type: application/json',
  422: 'Understood but not processable',
  429: 'Rate limited: wait Retry-After seconds',
  500: 'Internal error',
  503: 'Broker or state store unavailable, queue full or shutting down: retry after Retry-After',
};

interface OperationDoc {
  summary: string;
  tag: string;
  success: Record<number, { description: string; schema: JsonSchema; headers?: Record<string, unknown> }>;
  errors: number[];
  /** Statuses answered with the agent envelope instead of the error body. */
  envelopeErrors?: number[];
  /** Statuses that may carry either body. */
  eitherErrors?: number[];
  body?: { schema: JsonSchema; examples: Record<string, { summary: string; value: unknown }> };
  idempotencyKey?: boolean;
}

const LOCATION_HEADER = {
  Location: { description: 'The workflow record: /api/v1/workflows/{id}', schema: { type: 'string' } },
};

/**
 * Per message type: its request (`{ type, data }` with the agent's input schema) and success
 * envelope (with the agent's output schema), contributed by the agents themselves.
 */
function agentComponents(agents: Pick<RegisteredAgent, 'id' | 'messageTypes' | 'schemas'>[]) {
  const schemas: Record<string, JsonSchema> = {};
  const requests: { type: string; name: string }[] = [];
  const responses: string[] = [];
  const examples: Record<string, { summary: string; value: unknown }> = {};
  for (const agent of agents) {
    for (const type of agent.messageTypes) {
      const contract = agent.schemas[type];
      const name = `Message_${type.replace(/[^A-Za-z0-9_]/g, '_')}`;
      const data = contract
        ? toSchema(contract.input, 'input')
        : { type: 'object', additionalProperties: {} };
      schemas[name] = {
        type: 'object',
        description: `${type} (handled by ${agent.id})${contract?.summary ? `: ${contract.summary}` : ''}`,
        properties: { type: { type: 'string', enum: [type] }, data },
        required: ['type', 'data'],
      };
      requests.push({ type, name });
      const output = contract?.output ?? z.record(z.string(), z.unknown());
      schemas[`${name}_Response`] = toSchema(successEnvelope(output));
      responses.push(`${name}_Response`);
      if (contract?.example)
        examples[type] = {
          summary: contract.summary ?? `${type} (${agent.id})`,
          value: { type, data: contract.example },
        };
    }
  }
  return { schemas, requests, responses, examples };
}

function operations(agents: ReturnType<typeof agentComponents>): Record<string, OperationDoc> {
  const view = ref('WorkflowView');
  const completed = {
    name: 'Apollo',
    description: 'Ship the new billing service',
    goals: ['Design', 'Build', 'Launch'],
    duration_weeks: 12,
  };
  return {
    'post /api/v1/messages': {
      summary: 'Send a message to the agent that handles its type; answers with that agent’s envelope',
      tag: 'messages',
      body: {
        schema: {
          oneOf: agents.requests.map((r) => ref(r.name)),
          discriminator: {
            propertyName: 'type',
            mapping: Object.fromEntries(
              agents.requests.map((r) => [r.type, `#/components/schemas/${r.name}`]),
            ),
          },
        },
        examples: agents.examples,
      },
      success: {
        200: { description: "The agent's success envelope", schema: { anyOf: agents.responses.map(ref) } },
      },
      errors: [400, 401, 403, 404, 413, 415, 422, 429, 500],
      envelopeErrors: [404, 422, 500],
    },
    'post /api/v1/events': {
      summary: 'Publish an event on the broker for subscribers (202: accepted, delivered later)',
      tag: 'events',
      idempotencyKey: true,
      body: {
        schema: toSchema(eventBodySchema, 'input'),
        examples: {
          build: {
            summary: 'A build finished',
            value: { type: 'build.finished', data: { pipeline: 'billing', result: 'passed' } },
          },
        },
      },
      success: { 202: { description: 'Accepted', schema: ref('EventAccepted') } },
      errors: [400, 401, 403, 413, 415, 429, 503],
    },
    'post /api/v1/workflows': {
      summary: 'Run a workflow as a durable record: 200 finished, 202 waiting for approval',
      tag: 'workflows',
      idempotencyKey: true,
      body: {
        schema: toSchema(workflowBodySchema, 'input'),
        examples: {
          completed: {
            summary: 'Low risk: runs to the end at once (200)',
            value: { workflow_type: 'project_initialization', data: completed },
          },
          pending: {
            summary: 'Over the financial threshold: held for approval (202)',
            value: {
              workflow_type: 'project_initialization',
              data: completed,
              governance_data: {
                financial_impact: 50000,
                compliance_level: 'medium',
                explainability_score: 0.9,
              },
            },
          },
        },
      },
      success: {
        200: { description: 'Finished (completed or failed)', schema: view, headers: LOCATION_HEADER },
        202: { description: 'Waiting for approval', schema: view, headers: LOCATION_HEADER },
      },
      errors: [400, 401, 403, 409, 413, 415, 422, 429, 503],
      eitherErrors: [422],
    },
    'get /api/v1/workflows': {
      summary: 'List workflow records, newest first',
      tag: 'workflows',
      success: { 200: { description: 'A page of records', schema: ref('WorkflowPage') } },
      errors: [400, 401, 429, 503],
    },
    'get /api/v1/workflows/{id}': {
      summary: 'One workflow record',
      tag: 'workflows',
      success: { 200: { description: 'The record', schema: view } },
      errors: [401, 404, 429, 503],
    },
    'post /api/v1/workflows/{id}/approve': {
      summary: 'Approve a workflow waiting for approval (optionally patching its data)',
      tag: 'workflows',
      body: {
        schema: toSchema(approveBodySchema, 'input'),
        examples: { approve: { summary: 'Approve', value: { comment: 'Budget approved' } } },
      },
      success: { 200: { description: 'The record after the decision', schema: view } },
      errors: [400, 401, 403, 404, 409, 413, 415, 429, 503],
    },
    'post /api/v1/workflows/{id}/reject': {
      summary: 'Reject a workflow waiting for approval (a comment is required)',
      tag: 'workflows',
      body: {
        schema: toSchema(rejectBodySchema, 'input'),
        examples: { reject: { summary: 'Reject', value: { comment: 'Out of scope this quarter' } } },
      },
      success: { 200: { description: 'The record after the decision', schema: view } },
      errors: [400, 401, 403, 404, 409, 413, 415, 429, 503],
    },
    'post /api/v1/workflows/{id}/cancel': {
      summary: 'Withdraw a workflow waiting for approval (its requester or an admin)',
      tag: 'workflows',
      body: {
        schema: toSchema(cancelBodySchema, 'input'),
        examples: { cancel: { summary: 'Cancel', value: { comment: 'Superseded by a new request' } } },
      },
      success: { 200: { description: 'The cancelled record', schema: view } },
      errors: [400, 401, 403, 404, 409, 413, 415, 429, 503],
    },
    'get /api/v1/audit': {
      summary: 'The hash-chained audit trail, oldest first',
      tag: 'audit',
      success: { 200: { description: 'A page of entries', schema: ref('AuditPage') } },
      errors: [400, 401, 403, 429, 503],
    },
    'get /api/v1/audit/verify': {
      summary: 'Walk the whole audit chain and report the first broken link',
      tag: 'audit',
      success: { 200: { description: 'The verification', schema: ref('AuditVerification') } },
      errors: [401, 403, 429, 503],
    },
    'get /api/v1/agents': {
      summary: 'Registered agents, their message types and whether they are enabled',
      tag: 'agents',
      success: { 200: { description: 'The agents', schema: ref('AgentList') } },
      errors: [401, 429],
    },
  };
}

function errorResponse(status: number, doc: OperationDoc): Record<string, unknown> {
  const schema = doc.envelopeErrors?.includes(status)
    ? ref('AgentEnvelope')
    : doc.eitherErrors?.includes(status)
      ? { oneOf: [ref('ApiError'), ref('AgentEnvelope')] }
      : ref('ApiError');
  const retry = status === 429 || status === 503;
  return {
    description: ERROR_DESCRIPTIONS[status] ?? 'Error',
    ...(retry
      ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } }
      : {}),
    content: { 'application/json': { schema } },
  };
}

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
        '`X-API-Key: <key>` or `Authorization: Bearer <key>`. The agents, their messages and the ' +
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
        description: 'An API key from api.keys, sent as Authorization: Bearer <key>',
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
      ...agents.schemas,
    } as never,
  };
  const all: Record<string, OperationDoc> = { ...operations(agents), ...projectOperations(toSchema) };
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
        content: { 'application/json': { schema: s.schema } },
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
