import { Injectable } from '@nestjs/common';

/** Time source, injectable so date arithmetic (report scheduling) is testable. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
