import { redactRedisUrl } from '@mira/redis';
import {
  DecodeFailure,
  decodeEntry,
  encodeEntry,
  entryTime,
  messageId,
  pairs,
  RedisMessage,
  streamsReply,
} from './redis.codec';
import { redisTransportOptions } from './redis.options';
import { miraConfigSchema } from '@mira/config';

describe('redis codec', () => {
  it('round-trips headers and data; the id and timestamp come from the type and entry id', () => {
    const fields = encodeEntry({ 'x-correlation-id': 'c1' }, JSON.stringify({ a: [1, 2] }));
    const m = decodeEntry('t', '1700000000123-0', fields) as RedisMessage;
    expect(m).toBeInstanceOf(RedisMessage);
    expect(m.id).toBe(messageId('t', '1700000000123-0'));
    expect(m.id).toBe('t:1700000000123-0');
    expect(m.entryId).toBe('1700000000123-0');
    expect(m).toMatchObject({
      type: 't',
      data: { a: [1, 2] },
      headers: { 'x-correlation-id': 'c1' },
    });
    expect(m.timestamp).toBe(new Date(1700000000123).toISOString());
    expect(JSON.parse(JSON.stringify(m))).toMatchObject({
      id: 't:1700000000123-0',
      timestamp: m.timestamp,
    });
  });

  it('stores no headers field when there are none, and no id or time', () => {
    expect(encodeEntry({}, 'null')).toEqual(['d', 'null']);
    expect(encodeEntry(undefined, '1')).toEqual(['d', '1']);
  });

  it('keeps the id and time another producer stored in the entry', () => {
    const m = decodeEntry('t', '1700000000123-0', [
      'i',
      'theirs-1',
      't',
      '1600000000000',
      'd',
      '2',
    ]) as RedisMessage;
    expect(m.id).toBe('theirs-1');
    expect(m.timestamp).toBe(new Date(1600000000000).toISOString());
  });

  it('reports entries another producer wrote badly instead of throwing', () => {
    const notJson = decodeEntry('t', '1-0', ['i', 'x', 'd', '{not json']);
    expect(notJson).toBeInstanceOf(DecodeFailure);
    expect(notJson).toMatchObject({ error: expect.stringContaining('not JSON'), raw: '{not json' });
    const noData = decodeEntry('t', '1-0', ['i', 'x']);
    expect(noData).toBeInstanceOf(DecodeFailure);
    expect(noData).toMatchObject({ error: expect.stringContaining('no data') });
    const badHeaders = decodeEntry('t', '1-0', ['h', '[', 'd', '1']);
    expect(badHeaders).toBeInstanceOf(DecodeFailure);
    expect(badHeaders).toMatchObject({ error: expect.stringContaining('headers') });
  });

  it('reads XREADGROUP replies in both RESP2 and RESP3 (flattened map) shapes', () => {
    const entries = [['1-0', ['d', '1']]];
    expect(streamsReply([['s', entries]])).toEqual([['s', entries]]);
    expect(streamsReply(['s', entries, 'u', []])).toEqual([
      ['s', entries],
      ['u', []],
    ]);
    expect(streamsReply(null)).toEqual([]);
  });

  it('parses flat key/value replies and entry times', () => {
    expect(pairs(['name', 'g', 'lag', null])).toEqual({ name: 'g', lag: null });
    expect(entryTime('1700000000123-7')).toBe(1700000000123);
  });
});

describe('redis options', () => {
  it('maps broker config onto transport options', () => {
    const config = miraConfigSchema.parse({
      broker: {
        max_attempts: 3,
        redis: { url: 'redis://h:1', visibility_timeout_ms: 500, health: { lag_degraded: 7 } },
      },
    });
    expect(redisTransportOptions(config.broker)).toMatchObject({
      url: 'redis://h:1',
      streamPrefix: 'mira:',
      visibilityTimeoutMs: 500,
      maxAttempts: 3,
      maxlen: 100000,
      health: { lagDegraded: 7, lagUnhealthy: 0 },
    });
  });

  it('accepts the env string forms', () => {
    const config = miraConfigSchema.parse({
      broker: { transport: 'redis', redis: { block_ms: '250', batch_size: '64' } },
    });
    expect(config.broker.redis).toMatchObject({ block_ms: 250, batch_size: 64 });
  });

  it('never shows credentials of the URL', () => {
    expect(redactRedisUrl('redis://user:s3cret@host:6379/0')).toBe('redis://***:***@host:6379/0');
    expect(redactRedisUrl('redis://:s3cret@host:6379')).not.toContain('s3cret');
    expect(redactRedisUrl('not a url')).toBe('<unparseable redis url>');
  });
});
