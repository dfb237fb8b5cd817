import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Workflow } from './workflow.decorator';
import { UnknownWorkflowError, WorkflowError } from './workflow.error';
import type { WorkflowDefinition, WorkflowDescription, WorkflowOptions } from './workflow.interface';

/** Every @Workflow provider in the container, by type. */
@Injectable()
export class WorkflowRegistry implements OnModuleInit {
  private readonly logger = new Logger('WorkflowRegistry');
  private readonly workflows = new Map<
    string,
    { options: WorkflowOptions; definition: WorkflowDefinition }
  >();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: Workflow.KEY })) {
      const options = this.discovery.getMetadataByDecorator(Workflow, wrapper);
      const definition = wrapper.instance as WorkflowDefinition | undefined;
      if (!options || !definition) continue;
      if (!Array.isArray(definition.steps) || definition.steps.length === 0) {
        throw new WorkflowError(
          'WORKFLOW_DEFINITION_INVALID',
          `Workflow ${options.type} (${wrapper.name}) must declare a non-empty steps array`,
        );
      }
      if (this.workflows.has(options.type)) {
        throw new WorkflowError(
          'WORKFLOW_DEFINITION_INVALID',
          `Two providers declare workflow type "${options.type}"; workflow types must be unique`,
        );
      }
      this.workflows.set(options.type, { options, definition });
    }
    this.logger.log(`Registered ${this.workflows.size} workflow(s): ${this.types().join(', ')}`);
  }

  types(): string[] {
    return [...this.workflows.keys()];
  }

  /** The definition of `type`; throws UnknownWorkflowError for a type nobody implements. */
  get(type: string): WorkflowDefinition {
    const found = this.workflows.get(type);
    if (!found) throw new UnknownWorkflowError(type, this.types());
    return found.definition;
  }

  /**
   * The title and summary `type` gives for `data`. A description is for people: one that throws
   * or returns junk must not refuse the workflow, so it falls back to the type's name.
   */
  describe(type: string, data: Readonly<Record<string, unknown>>): WorkflowDescription {
    const definition = this.get(type);
    try {
      const title = definition.title?.(data);
      const summary = definition.summary?.(data);
      return {
        title: typeof title === 'string' && title.trim() ? title.trim().slice(0, 200) : null,
        summary: Array.isArray(summary) ? summary.slice(0, 12) : null,
      };
    } catch (err) {
      this.logger.warn(`Workflow ${type} could not describe its data: ${(err as Error).message}`);
      return { title: null, summary: null };
    }
  }
}
