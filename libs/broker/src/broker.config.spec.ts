import { Injectable } from '@nestjs/common';
import { ConfigError, loadConfig } from '@mira/config';
import { brokerTransportNames } from './broker.config';
import { BrokerTransport } from './broker.decorators';

const load = (transport: string) => loadConfig({ file: null, env: { MIRA_BROKER__TRANSPORT: transport } });

describe('broker.transport names', () => {
  it('refuses a name no @BrokerTransport declares, listing the known ones and the variable', () => {
    let error: unknown;
    try {
      load('carrier_pigeon');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      'Invalid configuration: broker.transport: no transport named "carrier_pigeon" (known: memory, redis); ' +
        'import the module that declares it with @BrokerTransport or fix the value (received "carrier_pigeon") ' +
        '(set by env MIRA_BROKER__TRANSPORT)',
    );
  });

  it('accepts the name once a class is decorated with @BrokerTransport(name), as at require time', () => {
    @Injectable()
    @BrokerTransport('carrier_pigeon')
    class PigeonTransportFactory {}
    expect(PigeonTransportFactory).toBeDefined();
    expect([...brokerTransportNames()]).toEqual(['memory', 'redis', 'carrier_pigeon']);
    expect(load('carrier_pigeon').config.broker.transport).toBe('carrier_pigeon');
    // The decorator still marks the provider for discovery under the same key.
    expect(Reflect.getMetadata(BrokerTransport.KEY, PigeonTransportFactory)).toBe('carrier_pigeon');
  });
});
