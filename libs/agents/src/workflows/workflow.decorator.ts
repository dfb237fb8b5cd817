import { DiscoveryService } from '@nestjs/core';
import type { WorkflowOptions } from './workflow.interface';

/**
 * Marks a provider as a workflow: `@Workflow({ type: 'my_workflow' })` on a class with `steps`.
 * Importing the module that declares it is enough for the engine to run it.
 */
export const Workflow = DiscoveryService.createDecorator<WorkflowOptions>();
