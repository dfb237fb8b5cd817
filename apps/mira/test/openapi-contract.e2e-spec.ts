import SwaggerParser from '@apidevtools/swagger-parser';
import { Injectable, Module } from '@nestjs/common';
import Ajv from 'ajv';
import { z } from 'zod';
import { Agent, BaseAgent, parseInput } from '@mira/agents';
import { request, startTestApp, type TestApp } from './support/test-app';
import { until } from './support/poll';

/** An agent a module adds: it must appear in the document with its own schema. */
const echoSchema = z.looseObject({ text: z.string().max(100) });
@Injectable()
@Agent({
  id: 'echo_agent',
  messageTypes: ['echo'],
  description: 'Echoes text back (added by a test module)',
  schemas: {
    echo: {
      summary: 'Echo the text',
      input: echoSchema,
      output: z.object({ echoed: z.string() }),
      example: { text: 'hello' },
    },
  },
})
class EchoAgent extends BaseAgent {
  protected readonly handlers = {
    echo: (data: unknown) => ({ echoed: parseInput(echoSchema, data, 'echo').text }),
  };
}
@Module({ providers: [EchoAgent] })
class EchoModule {}

type Doc = {
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, any>; securitySchemes: Record<string, any> };
};

const ALICE = { 'x-api-key': 'alice-key' };
const SECRET = 'whsec_' + Buffer.from('contract-secret-of-32-bytes-long').toString('base64');
const BOB = { authorization: 'Bearer bob-key' };

describe('the OpenAPI document (/docs/json) against the real app', () => {
  let t: TestApp;
  let raw: Doc;
  let doc: Doc; // dereferenced
  const ajv = new Ajv({ strict: false, discriminator: true, allErrors: true });

  beforeAll(async () => {
    t = await startTestApp({
      overrides: {
        api: {
          keys: [
            { name: 'alice', key: 'alice-key', roles: ['admin'] },
            { name: 'bob', key: 'bob-key', roles: ['admin'] },
          ],
        },
        // A project for the /projects/{name} examples; its tracker is unreachable (a sync error, not a 5xx).
        projects: { demo: { sources: [{ github: { repo: 'acme/demo' } }] } },
        integrations: { github: { base_url: 'http://127.0.0.1:9', max_retries: 0, timeout_ms: 2000 } },
        // A destination nobody listens on: a reply sent there ends dead, for the retry example.
        deliveries: {
          max_attempts: 1,
          poll_interval_ms: 50,
          destinations: { down: { kind: 'webhook', url: 'http://127.0.0.1:9/hook', secret: SECRET } },
        },
      },
      imports: [EchoModule],
    });
    raw = (await request(`${t.url}/docs/json`)).body as Doc;
    doc = (await SwaggerParser.dereference(structuredClone(raw) as never)) as unknown as Doc;
  });
  afterAll(() => t.close());

  /** Checks an answer against the schema documented for its status; returns the body. */
  function conforms(path: string, method: string, res: { status: number; body: unknown }): unknown {
    const responses = doc.paths[path][method].responses;
    expect(Object.keys(responses)).toContain(String(res.status));
    if (res.status === 204) {
      expect(responses['204'].content).toBeUndefined();
      return res.body;
    }
    const schema = responses[String(res.status)].content?.['application/json']?.schema;
    expect(schema).toBeDefined();
    const validate = ajv.compile(schema);
    if (!validate(res.body))
      throw new Error(
        `${method.toUpperCase()} ${path} ${res.status} does not match its documented schema: ` +
          `${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body).slice(0, 2000)}`,
      );
    return res.body;
  }

  it('is a valid OpenAPI 3 document (swagger-parser)', async () => {
    await expect(SwaggerParser.validate(structuredClone(raw) as never)).resolves.toBeDefined();
    expect(raw.components.securitySchemes).toEqual({
      api_key: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
      bearer: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'API key or JWT',
        description: expect.stringContaining('OpenID Connect access token'),
      },
      inbox_session: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: '__Host-mira_session' }),
    });
  });

  it('documents the messages body as a union discriminated by type, one member per agent message type', async () => {
    const body = raw.paths['/api/v1/messages'].post.requestBody.content['application/json'];
    const agents = (await request(`${t.url}/api/v1/agents`, { headers: ALICE })).body.agents as {
      message_types: string[];
    }[];
    const types = agents.flatMap((a) => a.message_types).sort();
    expect(types).toContain('echo');
    expect(Object.keys(body.schema.discriminator.mapping).sort()).toEqual(types);
    expect(body.schema.oneOf).toHaveLength(types.length);
    expect(Object.keys(body.examples).sort()).toEqual(types);
    // The module's agent brings its own data schema.
    expect(raw.components.schemas.Message_echo.properties.data).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string', maxLength: 100 } },
    });
    // Every /api operation documents its success body and its error statuses with the error schema.
    for (const [path, item] of Object.entries(raw.paths).filter(([p]) => p.startsWith('/api/'))) {
      for (const [method, op] of Object.entries(item)) {
        const statuses = Object.keys(op.responses);
        expect(statuses.some((s) => s.startsWith('2'))).toBe(true);
        for (const s of ['401', '429']) expect(statuses).toContain(s);
        for (const s of statuses.filter((x) => x !== '204'))
          expect([path, method, s, bodySchema(op.responses[s].content)]).not.toContainEqual(undefined);
      }
    }
  });

  it('every documented request example succeeds as given and answers with the documented schema', async () => {
    const pending = async () => {
      const example =
        raw.paths['/api/v1/workflows'].post.requestBody.content['application/json'].examples.pending;
      const res = await request(`${t.url}/api/v1/workflows`, { body: example.value, headers: ALICE });
      expect(res.status).toBe(202);
      return (conforms('/api/v1/workflows', 'post', res) as { workflow_id: string }).workflow_id;
    };
    // A fresh, valid value for each path parameter, by the resource the path names.
    let n = 0;
    const schedule = async () => {
      const res = await request(`${t.url}/api/v1/schedules`, {
        body: {
          name: `contract-${++n}`,
          cron: '0 16 * * 5',
          timezone: 'Europe/Berlin',
          target: { message: { type: 'generate_report', data: { name: 'Contract', tasks: [] } } },
        },
        headers: ALICE,
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const event = async () => {
      const res = await request(`${t.url}/api/v1/events`, {
        body: { type: 'generate_report', data: { name: 'Contract', tasks: [] }, reply_to: 'down' },
        headers: ALICE,
      });
      expect(res.status).toBe(202);
      return res.body.id as string;
    };
    const deadDelivery = async () => {
      const id = await event();
      return until(async () => {
        const res = await request(`${t.url}/api/v1/deliveries?status=dead`, { headers: ALICE });
        return (res.body.deliveries as { id: string; source: string }[]).find(
          (d) => d.source === `event:${id}`,
        )?.id;
      }, 'a dead delivery');
    };
    const idFor = (path: string): Promise<string> =>
      path.startsWith('/api/v1/schedules/')
        ? schedule()
        : path.startsWith('/api/v1/deliveries/')
          ? deadDelivery()
          : path.startsWith('/api/v1/events/')
            ? event()
            : pending();
    let sent = 0;
    const seen = new Set<string>();
    for (const [path, item] of Object.entries(raw.paths).filter(([p]) => p.startsWith('/api/'))) {
      for (const [method, op] of Object.entries(item)) {
        // An event stream never ends: workflow-stream.e2e-spec.ts reads it.
        if (op.responses['200']?.content?.['text/event-stream']) continue;
        const examples = op.requestBody?.content?.['application/json']?.examples ?? {
          none: { value: undefined },
        };
        for (const [name, example] of Object.entries(examples as Record<string, { value: unknown }>)) {
          const url = `${t.url}${path.replace('{id}', path.includes('{id}') ? await idFor(path) : '').replace('{name}', 'demo')}`;
          // Separation of duties: someone other than the requester decides.
          const headers = /approve|reject/.test(path) ? BOB : ALICE;
          const res = await request(url, { method: method.toUpperCase(), body: example.value, headers });
          if (res.status >= 300)
            throw new Error(`${method} ${path} example "${name}" answered ${res.status}: ${res.text}`);
          conforms(path, method, res);
          if (path === '/api/v1/workflows' && method === 'post')
            expect(res.headers.get('location')).toBe(`/api/v1/workflows/${res.body.workflow_id}`);
          sent++;
          seen.add(`${method} ${path}`);
        }
      }
    }
    expect(sent).toBeGreaterThanOrEqual(15);
    for (const route of [
      'post /api/v1/schedules/{id}/trigger',
      'delete /api/v1/schedules/{id}',
      'post /api/v1/deliveries/{id}/retry',
      'get /api/v1/events/{id}',
    ])
      expect(seen).toContain(route);
  });

  it('error answers match the documented error schema for their status', async () => {
    const cases: [string, string, Parameters<typeof request>[1], number][] = [
      ['/api/v1/agents', 'get', {}, 401],
      ['/api/v1/messages', 'post', { body: { type: 'no_such_type', data: {} }, headers: ALICE }, 422],
      [
        '/api/v1/messages',
        'post',
        { body: { type: 'generate_plan', data: { goals: 'x' } }, headers: ALICE },
        422,
      ],
      ['/api/v1/messages', 'post', { body: { type: '', data: {} }, headers: ALICE }, 400],
      ['/api/v1/messages', 'post', { raw: 'x', headers: { ...ALICE, 'content-type': 'text/plain' } }, 415],
      ['/api/v1/workflows', 'post', { body: { workflow_type: 'nope', data: {} }, headers: ALICE }, 422],
      ['/api/v1/workflows/{id}', 'get', { headers: ALICE }, 404],
      ['/api/v1/events', 'post', { body: { type: 'agent.response', data: {} }, headers: ALICE }, 400],
    ];
    for (const [path, method, init, status] of cases) {
      const res = await request(`${t.url}${path.replace('{id}', 'does-not-exist')}`, {
        method: method.toUpperCase(),
        ...init,
      });
      expect([path, res.status]).toEqual([path, status]);
      conforms(path, method, res);
    }
    // A decision on a finished workflow is a 409 naming its status.
    const done = await request(`${t.url}/api/v1/workflows`, {
      // Assessed low, so it finishes at once (unassessed work is held by default).
      body: {
        workflow_type: 'project_initialization',
        data: { goals: ['a'] },
        governance_data: { financial_impact: 0 },
      },
      headers: ALICE,
    });
    const conflict = await request(`${t.url}/api/v1/workflows/${done.body.workflow_id}/approve`, {
      body: {},
      headers: BOB,
    });
    expect(conflict.status).toBe(409);
    expect(conforms('/api/v1/workflows/{id}/approve', 'post', conflict)).toMatchObject({
      status: 'completed',
    });
  });
});

/** A response's body schema: JSON, or the event stream's (GET /api/v1/workflows/stream). */
function bodySchema(content: Record<string, { schema?: unknown }> | undefined): unknown {
  return (content?.['application/json'] ?? content?.['text/event-stream'])?.schema;
}
