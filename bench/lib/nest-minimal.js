// The smallest NestJS 12 + Fastify app answering POST like Mira's /api/v1/messages: one controller,
// one route, the same canned JSON as the raw baseline (RAW_PAYLOAD plus a fresh timestamp). It
// measures what the framework itself costs on this machine, below any of Mira's own work.
// Usage: node nest-minimal.js <layers>, layers one of:
//   bare      Nest + Fastify adapter, @Body() without validation;
//   validate  + Nest 12's StandardSchemaValidationPipe with Mira's own zod body schema;
//   pino      + nestjs-pino's default setup (pino-http request logging, one line per request).
// Plain JavaScript (decorators applied as functions) so the bench needs no build of its own.
require('reflect-metadata');
const { join } = require('node:path');
const { NestFactory } = require('@nestjs/core');
const common = require('@nestjs/common');
const { FastifyAdapter } = require('@nestjs/platform-fastify');

const layers = process.argv[2] ?? 'bare';
if (!['bare', 'validate', 'pino'].includes(layers)) throw new Error(`unknown layers ${layers}`);
const payload = JSON.parse(process.env.RAW_PAYLOAD ?? '{}');

class MessagesController {
  send() {
    return { ...payload, timestamp: new Date().toISOString() };
  }
}
const method = (name) => Object.getOwnPropertyDescriptor(MessagesController.prototype, name);
common.Post()(MessagesController.prototype, 'send', method('send'));
common.HttpCode(200)(MessagesController.prototype, 'send', method('send'));
const body =
  layers === 'bare'
    ? common.Body()
    : // Mira's compiled schema: the same validation work per request.
      common.Body({
        schema: require(join(__dirname, '../../dist/apps/mira/src/api/api.schemas.js')).messageBodySchema,
      });
body(MessagesController.prototype, 'send', 0);
common.Controller('api/v1/messages')(MessagesController);

const imports = [];
if (layers === 'pino') {
  const { LoggerModule } = require('nestjs-pino');
  imports.push(
    LoggerModule.forRoot({
      pinoHttp: { level: 'info' },
      // nestjs-pino's own default route ('{/*splat}') matches nothing under the Fastify adapter.
      forRoutes: [{ path: '{*path}', method: common.RequestMethod.ALL }],
    }),
  );
}
class AppModule {}
common.Module({ imports, controllers: [MessagesController] })(AppModule);

async function main() {
  const app = await NestFactory.create(AppModule, new FastifyAdapter(), {
    logger: layers === 'pino' ? undefined : false,
    bufferLogs: layers === 'pino',
  });
  if (layers !== 'bare') app.useGlobalPipes(new common.StandardSchemaValidationPipe());
  if (layers === 'pino') app.useLogger(app.get(require('nestjs-pino').Logger));
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
