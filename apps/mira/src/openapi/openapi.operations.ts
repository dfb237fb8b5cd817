import { z } from 'zod';
import type { RegisteredAgent } from '@mira/agents';
import {
  approveBodySchema,
  cancelBodySchema,
  eventBodySchema,
  rejectBodySchema,
  workflowBodySchema,
} from '../api/api.schemas';
import { successEnvelope } from './openapi.schemas';
import { ref, toSchema, type JsonSchema } from './openapi.json-schema';
import { operationsOf } from './openapi.operation-builder';

/** The API's routes as the document describes them: summaries, bodies with examples, answers. */

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid body, query or header: the message names the field',
  401: 'Missing or invalid credential (API key, access token or inbox session)',
  403: "The caller's roles do not allow this (or a governance rule forbids it)",
  404: 'Not found',
  409: 'Conflict with the current state (the body says the status it is in now)',
  413: 'Body over server.body_limit_bytes',
  415: 'Not JSON: send Content-Type: application/json',
  422: 'Understood but not processable',
  429: 'Rate limited: wait Retry-After seconds',
  500: 'Internal error',
  503: 'Broker or state store unavailable, queue full or shutting down: retry after Retry-After',
};

export interface OperationDoc {
  summary: string;
  tag: string;
  /** A null schema: no body (204). */
  success: Record<
    number,
    {
      description: string;
      schema: JsonSchema | null;
      headers?: Record<string, unknown>;
      contentType?: string;
    }
  >;
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
export function agentComponents(agents: Pick<RegisteredAgent, 'id' | 'messageTypes' | 'schemas'>[]) {
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

export function operations(agents: ReturnType<typeof agentComponents>): Record<string, OperationDoc> {
  const view = ref('WorkflowView');
  const completed = {
    name: 'Apollo',
    description: 'Ship the new billing service',
    goals: ['Design', 'Build', 'Launch'],
    duration_weeks: 12,
  };
  const workflows = operationsOf('workflows');
  const audit = operationsOf('audit');
  /** Approve, reject and cancel: a comment in, the record after the decision out. */
  const decision = (summary: string, body: z.ZodType, example: [string, string, string], answered: string) =>
    workflows(summary, 200, [answered, 'WorkflowView'], [400, 401, 403, 404, 409, 413, 415, 429, 503], {
      schema: toSchema(body, 'input'),
      examples: { [example[0]]: { summary: example[1], value: { comment: example[2] } } },
    });
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
    'get /api/v1/workflows/stream': {
      summary:
        'Live workflow changes as Server-Sent Events (same filters as the list: ?status=&type=). ' +
        'Events: workflow.created, workflow.updated, workflow.decided (data: { workflow_id, from_status, ' +
        'workflow: a list item, decision? }), stream.reset (reload the list: Last-Event-ID unknown on this ' +
        'replica), stream.closed (data: { reason: "credential_revoked" }: the key, session or token it was ' +
        'opened with no longer grants it; the server ends the stream); `: heartbeat` comments keep proxies ' +
        'from closing it. Send Last-Event-ID to resume. ' +
        'A caller with only the submitter role sees only their own requests. At most api.stream.max_clients per replica.',
      tag: 'workflows',
      success: {
        200: {
          description: 'An event stream (id:, event:, one JSON data: line per event)',
          schema: { type: 'string' },
          contentType: 'text/event-stream',
        },
      },
      errors: [400, 401, 429, 503],
    },
    'get /api/v1/workflows/{id}': workflows(
      'One workflow record',
      200,
      ['The record', 'WorkflowView'],
      [401, 404, 429, 503],
    ),
    'post /api/v1/workflows/{id}/approve': decision(
      'Approve a workflow waiting for approval (optionally patching its data)',
      approveBodySchema,
      ['approve', 'Approve', 'Budget approved'],
      'The record after the decision',
    ),
    'post /api/v1/workflows/{id}/reject': decision(
      'Reject a workflow waiting for approval (a comment is required)',
      rejectBodySchema,
      ['reject', 'Reject', 'Out of scope this quarter'],
      'The record after the decision',
    ),
    'post /api/v1/workflows/{id}/cancel': decision(
      'Withdraw a workflow waiting for approval (its requester or an admin)',
      cancelBodySchema,
      ['cancel', 'Cancel', 'Superseded by a new request'],
      'The cancelled record',
    ),
    'get /api/v1/audit': audit(
      'The hash-chained audit trail, oldest first',
      200,
      ['A page of entries', 'AuditPage'],
      [400, 401, 403, 429, 503],
    ),
    'get /api/v1/audit/verify': audit(
      'Walk the whole audit chain and report the first broken link',
      200,
      ['The verification', 'AuditVerification'],
      [401, 403, 429, 503],
    ),
    'get /api/v1/agents': {
      summary: 'Registered agents, their message types and whether they are enabled',
      tag: 'agents',
      success: { 200: { description: 'The agents', schema: ref('AgentList') } },
      errors: [401, 429],
    },
  };
}

export function errorResponse(status: number, doc: OperationDoc): Record<string, unknown> {
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
