import type { OpenedStateSql } from '@mira/state';
import { useStateSqlEngines } from '../../state/src/state.engines.testing';
import { DELIVERIES_MIGRATIONS } from './deliveries.migrations';
import { DeliveryStore, deliveryId } from './delivery.store';

const engines = useStateSqlEngines(DELIVERIES_MIGRATIONS, {
  owner: 'deliveries',
  databasePrefix: `dlv_${process.pid}`,
});
const T0 = new Date('2026-12-04T15:00:00.000Z');
const item = (destination: string) => ({
  destination,
  kind: 'webhook',
  source: 'schedule_run:r1',
  type: 't',
  title: 'x',
  data: { a: 1 },
});

describe.each(engines)('DeliveryStore on $name', (engine) => {
  let db: OpenedStateSql;
  let store: DeliveryStore;
  beforeEach(async () => {
    db = await engine.open();
    store = new DeliveryStore(() => db.sql);
  });
  afterEach(() => db.close());

  it('enqueues inside a transaction (rolled back with it) and once per (source, destination)', async () => {
    await expect(
      db.sql.transaction(async (tx) => {
        await store.enqueue(tx, [item('a')], T0);
        throw new Error('result not stored');
      }),
    ).rejects.toThrow('result not stored');
    expect(await store.list({ limit: 10 })).toEqual([]);
    await db.sql.transaction((tx) => store.enqueue(tx, [item('a'), item('b')], T0));
    await store.enqueue(db.sql, [item('a')], T0);
    const rows = await store.list({ limit: 10 });
    expect(rows.map((r) => r.id).sort()).toEqual(
      [deliveryId('schedule_run:r1', 'a'), deliveryId('schedule_run:r1', 'b')].sort(),
    );
    expect(rows[0].message).toMatchObject({ id: rows[0].id, data: { a: 1 } });
  });

  it('each due row is claimed by one replica; a lapsed claim is claimed again', async () => {
    await store.enqueue(db.sql, ['a', 'b', 'c', 'd'].map(item), T0);
    const claims = await Promise.all(['r1', 'r2', 'r3'].map((r) => store.claim(r, T0, 1000, 10)));
    expect(
      claims
        .flat()
        .map((r) => r.id)
        .sort(),
    ).toHaveLength(4);
    expect(new Set(claims.flat().map((r) => r.id)).size).toBe(4);
    expect(await store.claim('r4', T0, 1000, 10)).toEqual([]);
    const later = new Date(T0.getTime() + 2000);
    expect(await store.claim('r4', later, 1000, 10)).toHaveLength(4);
  });

  it('failed -> pending at the backoff time -> dead; an admin retry makes it pending again', async () => {
    const [id] = await store.enqueue(db.sql, [item('a')], T0);
    await store.claim('me', T0, 60_000, 10);
    const next = new Date(T0.getTime() + 5000);
    expect(await store.failed(id, 'me', T0, 'answered 500', next)).toBe('pending');
    expect(await store.claim('me', T0, 60_000, 10)).toEqual([]);
    expect(await store.claim('me', next, 60_000, 10)).toHaveLength(1);
    expect(await store.failed(id, 'me', next, 'answered 500', null)).toBe('dead');
    expect(await store.get(id)).toMatchObject({ status: 'dead', attempts: 2, last_error: 'answered 500' });
    expect(await store.pendingCount()).toBe(0);
    expect(await store.retry(id, next)).toBe(true);
    expect(await store.retry(id, next)).toBe(false);
    const [again] = await store.claim('me', next, 60_000, 10);
    expect(await store.delivered(again.id, 'me', next)).toBe(true);
    expect(await store.list({ status: 'delivered', limit: 5 })).toHaveLength(1);
  });
});
