import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { WorkflowSummaryField } from '@mira/state';
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
        summary: Array.isArray(summary) ? boundedSummary(summary) : null,
      };
    } catch (err) {
      this.logger.warn(`Workflow ${type} could not describe its data: ${(err as Error).message}`);
      return { title: null, summary: null };
    }
  }
}

/** Each label, value and unit is cut to this many characters: a summary is read, not stored data. */
export const SUMMARY_TEXT_MAX = 200;
/** At most this many summary fields are kept. */
export const SUMMARY_FIELDS_MAX = 12;

/**
 * Keeps what a type's summary() returned within bounds: string / finite number / boolean values
 * only (objects and arrays would copy the data into every list row), short text, few fields.
 */
export function boundedSummary(fields: readonly unknown[]): WorkflowSummaryField[] {
  const kept: WorkflowSummaryField[] = [];
  for (const f of fields) {
    if (kept.length >= SUMMARY_FIELDS_MAX) break;
    if (!f || typeof f !== 'object') continue;
    const { label, value, unit } = f as Record<string, unknown>;
    if (typeof label !== 'string' || !label.trim()) continue;
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value));
    if (!ok) continue;
    const field: WorkflowSummaryField = {
      label: label.trim().slice(0, SUMMARY_TEXT_MAX),
      value: typeof value === 'string' ? value.slice(0, SUMMARY_TEXT_MAX) : value,
    };
    if (typeof unit === 'string' && unit) field.unit = unit.slice(0, SUMMARY_TEXT_MAX);
    kept.push(field);
  }
  return kept;
}
