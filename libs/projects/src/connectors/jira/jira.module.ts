import { Module } from '@nestjs/common';
import { JiraConnector } from './jira.connector';

/** The Jira connector; discovered by the projects lib through its @Connector metadata. */
@Module({ providers: [JiraConnector], exports: [JiraConnector] })
export class JiraConnectorModule {}
