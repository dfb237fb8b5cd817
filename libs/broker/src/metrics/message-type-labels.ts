import { Injectable } from '@nestjs/common';
import { BoundedLabel } from '@mira/metrics';

/** Distinct message types outside the registered ones that may still get a label of their own. */
const MAX_UNREGISTERED_TYPES = 16;

/**
 * The one place message types become label values (broker series here, agent series in
 * @mira/agents). The orchestrator registers its routing table (and the events it publishes);
 * other types share a small admission budget, then "other".
 */
@Injectable()
export class MessageTypeLabels {
  private readonly label = new BoundedLabel(MAX_UNREGISTERED_TYPES);
  private registrations = 0;

  register(types: Iterable<string>): void {
    this.label.allow(types);
    this.registrations++;
  }

  /** Changes when types are registered: a type that mapped to "other" may have its own label now. */
  get version(): number {
    return this.registrations;
  }

  isRegistered(type: string): boolean {
    return this.label.isKnown(type);
  }

  value(type: string): string {
    return this.label.value(type);
  }
}
