import { Module } from '@nestjs/common';
import { TrelloConnector } from './trello.connector';

/** The Trello connector; discovered by the projects lib through its @Connector metadata. */
@Module({ providers: [TrelloConnector], exports: [TrelloConnector] })
export class TrelloConnectorModule {}
