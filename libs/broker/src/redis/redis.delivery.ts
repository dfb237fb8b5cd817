import type { RedisMessage } from './redis.codec';

/**
 * What an entry needs of the consumer holding it: the dead letters and the ack batcher release
 * it through this, and read the group and consumer names; nothing else of RedisConsumer.
 */
export interface DeliveryOwner {
  readonly name: string;
  readonly group: string;
  /** Whether the consumer still takes entries (dead-lettering retries only while it does). */
  readonly reading: boolean;
  release(d: HeldEntry): void;
}

/** A read (or reclaimed) entry that is ours until acknowledged or dead-lettered. */
export interface HeldEntry {
  consumer: DeliveryOwner;
  key: string;
  stream: string;
  entryId: string;
  type: string;
  /** Handler runs so far including the current one (Redis' delivery counter follows it). */
  attempts: number;
  /** The last run failed while Redis was unreachable: its retry is not counted as an attempt. */
  outage?: number;
  retryTimer: NodeJS.Timeout | null;
}

/** A held entry that decoded: its handler runs on `message`. */
export interface Delivery extends HeldEntry {
  message: RedisMessage;
}
