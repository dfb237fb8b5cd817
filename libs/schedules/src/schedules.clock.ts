import { Injectable } from '@nestjs/common';

/** The scheduler's notion of "now" and of waiting; injectable so unit tests drive time by hand. */
@Injectable()
export class SchedulerClock {
  now(): Date {
    return new Date();
  }
}

/** A clock tests move explicitly. */
export class ManualClock extends SchedulerClock {
  private current: number;
  constructor(start: Date | string) {
    super();
    this.current = new Date(start).getTime();
  }
  override now(): Date {
    return new Date(this.current);
  }
  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
