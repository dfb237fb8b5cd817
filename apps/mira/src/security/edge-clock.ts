import { Injectable } from '@nestjs/common';

/** Time source for signature tolerance, rotation grace and de-duplication, injectable for tests. */
@Injectable()
export class EdgeClock {
  /** Milliseconds since the epoch. */
  now(): number {
    return Date.now();
  }
}
