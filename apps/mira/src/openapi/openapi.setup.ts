import { NotFoundException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const OPENAPI_UI_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs/json';
const OPENAPI_YAML_PATH = 'docs/yaml';

/** The routes SwaggerModule.setup (and its static assets under /docs/) answers on. */
const DOCS_ROUTES = [
  '/docs',
  '/docs/',
  '/docs/index.html',
  '/docs/json',
  '/docs/yaml',
  '/docs/swagger-ui-init.js',
  '/docs/docs/swagger-ui-init.js',
  '/docs/*',
];
// Hop-by-hop or per-connection: the app's own server sets these.
const SKIPPED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);

/**
 * Serves the document at /docs (UI), /docs/json and /docs/yaml. Nothing of it is loaded at start:
 * @nestjs/swagger (about 120 ms of every start, bench/startup.js) and the document are required
 * and built on the first request of one of them, by openapi.document.ts, whose docs server these
 * routes forward to. The routes and answers are SwaggerModule.setup's own.
 */
export function setupOpenApi(app: NestFastifyApplication): void {
  let docs: Promise<FastifyInstance> | undefined;
  const docsServer = (): Promise<FastifyInstance> => {
    docs ??= Promise.resolve().then(() =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use only
      (require('./openapi.document') as typeof import('./openapi.document')).createDocsServer(app, {
        ui: OPENAPI_UI_PATH,
        json: OPENAPI_JSON_PATH,
        yaml: OPENAPI_YAML_PATH,
      }),
    );
    docs.catch(() => (docs = undefined)); // a failed build is retried by the next request
    return docs;
  };
  const forward = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    // Always GET: the app's HEAD route (Fastify's, from this GET) drops the body itself.
    const res = await (await docsServer()).inject({ method: 'GET', url: req.url, headers });
    // A missing asset gets the app's own 404, as it did from the static files plugin.
    if (res.statusCode === 404) return void reply.callNotFound();
    reply.status(res.statusCode);
    for (const [name, value] of Object.entries(res.headers))
      if (value !== undefined && !SKIPPED_HEADERS.has(name)) reply.header(name, value);
    await reply.send(res.rawPayload);
  };
  const http = app.getHttpAdapter();
  for (const path of DOCS_ROUTES) http.get(path, forward);
  http.get('/docs/LICENSE', () => {
    throw new NotFoundException();
  });
}
