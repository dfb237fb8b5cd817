// Test entry for config-extension.e2e-spec.ts: the BUILT service's own bootstrap (dist/) with one
// extension module that brings its own config section, a secrets backend and a broker transport,
// none of them known to libs/config. Plain CommonJS, decorators applied as functions, as a
// plugin file compiled elsewhere would be. The section registers when this file is required
// (ConfigModule.forFeature in the module's imports), before bootstrap() validates the config.
const { appendFileSync } = require('node:fs');
const { join } = require('node:path');
const { Inject, Injectable, Module } = require('@nestjs/common');
const { z } = require('zod');

const dist = join(__dirname, '../../../../dist');
const { bootstrap } = require(join(dist, 'apps/mira/src/main.js'));
const { ConfigModule, ConfigStore, defineConfigSection } = require(join(dist, 'libs/config/src/index.js'));
const { BrokerTransport, MemoryTransport } = require(join(dist, 'libs/broker/src/index.js'));
const { SecretsBackendProvider } = require(join(dist, 'libs/secrets/src/index.js'));

const extensionConfig = defineConfigSection({
  key: 'test_extension',
  schema: z
    .strictObject({
      // The test backend's secrets: `<name>:<key>` -> value.
      secrets: z.record(z.string(), z.string()).default({}),
      // Where the test transport appends each published message type (one per line).
      publish_log: z.string().min(1),
    })
    .prefault({ publish_log: '/dev/null' }),
  owner: 'apps/mira/test extension-child',
});

/** secrets.backend: memvault — reads `test_extension.secrets` (plain values: a test double of a vault). */
class MemvaultSecretsBackend {
  constructor(config) {
    this.config = config;
  }
  async read(name, key) {
    return this.config.section(extensionConfig).secrets[`${name}:${key}`];
  }
  health() {
    return { status: 'healthy' };
  }
}
Injectable()(MemvaultSecretsBackend);
Inject(ConfigStore)(MemvaultSecretsBackend, undefined, 0);
SecretsBackendProvider('memvault')(MemvaultSecretsBackend);

/** broker.transport: loopback — the memory transport that also logs every published type to a file. */
class LoopbackTransportFactory {
  create({ config, observers }) {
    const transport = new MemoryTransport({ queueSize: config.broker.queue_size, observers });
    Object.defineProperty(transport, 'transport', { value: 'loopback' });
    const publish = transport.publish.bind(transport);
    transport.publish = (type, ...rest) => {
      appendFileSync(config.test_extension.publish_log, `${type}\n`);
      return publish(type, ...rest);
    };
    return transport;
  }
}
Injectable()(LoopbackTransportFactory);
BrokerTransport('loopback')(LoopbackTransportFactory);

class TestExtensionModule {}
Module({
  imports: [ConfigModule.forFeature(extensionConfig)],
  providers: [MemvaultSecretsBackend, LoopbackTransportFactory],
})(TestExtensionModule);

bootstrap({ imports: [TestExtensionModule] }).catch((err) => {
  process.stderr.write(`mira: fatal: ${err.code ? `${err.code}: ` : ''}${err.message}\n`);
  process.exit(1);
});
