import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { ProjectsError } from '../projects.error';
import { Connector, type TrackerConnector } from './connector.interface';

/** The connectors of the app, found by their @Connector({ kind }) metadata. */
@Injectable()
export class ConnectorRegistry implements OnModuleInit {
  private readonly logger = new Logger('Projects');
  private readonly byKind = new Map<string, TrackerConnector>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: Connector.KEY })) {
      const options = this.discovery.getMetadataByDecorator(Connector, wrapper);
      if (!options || !wrapper.instance) continue;
      if (this.byKind.has(options.kind))
        this.logger.warn(`Connector ${options.kind} registered twice; the last one wins`);
      this.byKind.set(options.kind, wrapper.instance as TrackerConnector);
    }
  }

  kinds(): string[] {
    return [...this.byKind.keys()].sort();
  }

  get(kind: string): TrackerConnector {
    const c = this.byKind.get(kind);
    if (!c)
      throw new ProjectsError(
        'CONNECTOR_UNKNOWN',
        `no connector for source kind "${kind}" (known: ${this.kinds().join(', ')}); load the module that provides it`,
      );
    return c;
  }
}
