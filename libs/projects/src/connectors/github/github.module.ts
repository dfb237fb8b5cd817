import { Module } from '@nestjs/common';
import { GithubConnector } from './github.connector';

/** The Github connector; discovered by the projects lib through its @Connector metadata. */
@Module({ providers: [GithubConnector], exports: [GithubConnector] })
export class GithubConnectorModule {}
