import { until } from './support/poll';
import { useReloadingApp } from './support/reloading-app';
import { request } from './support/test-app';

// Config-declared schedules follow the real config file through hot reloads (a ConfigMap-style
// atomic swap): added, changed and removed without a restart; read-only through the API throughout.

const schedule = (cron: string, name: string) =>
  `    cron: '${cron}'\n    timezone: Europe/Berlin\n    target:\n      message:\n        type: generate_report\n        data: { name: ${name} }\n`;
const yaml = (entries: Record<string, string>) =>
  `schedules:\n${Object.entries(entries)
    .map(([k, v]) => `  ${k}:\n${v}`)
    .join('')}`;

interface Listed {
  name: string;
  cron: string;
  source: string;
  target: { message: { data: { name: string } } };
}

describe('config-declared schedules on a config reload (real file)', () => {
  const volume = useReloadingApp({
    prefix: 'mira-sched-reload-',
    yaml: yaml({ nightly: schedule('0 2 * * *', 'Nightly') }),
  });
  const list = async () =>
    ((await request(`${volume.app.url}/api/v1/schedules`)).body.schedules as Listed[]).filter(
      (s) => s.source === 'config',
    );

  it('starts with the declared schedule, read-only through the API', async () => {
    expect(await list()).toEqual([
      expect.objectContaining({ name: 'nightly', cron: '0 2 * * *', source: 'config' }),
    ]);
    const patch = await request(`${volume.app.url}/api/v1/schedules/nightly`, {
      method: 'PATCH',
      body: {
        name: 'nightly',
        cron: '0 5 * * *',
        timezone: 'UTC',
        target: { message: { type: 'x', data: {} } },
      },
    });
    expect(patch.status).toBe(409);
  });

  it('a reload that adds one and changes another applies both', async () => {
    volume.write(
      yaml({
        nightly: schedule('30 3 * * *', 'Nightly v2'),
        weekly: schedule('0 16 * * 5', 'Weekly'),
      }),
    );
    const after = await until(async () => {
      const l = await list();
      return l.length === 2 && l.find((s) => s.name === 'nightly')?.cron === '30 3 * * *' ? l : null;
    }, 'nightly changed and weekly added');
    expect(after.find((s) => s.name === 'nightly')!.target.message.data.name).toBe('Nightly v2');
    expect(after.find((s) => s.name === 'weekly')).toMatchObject({ cron: '0 16 * * 5', source: 'config' });
    // The change moves `next_runs` too (the view is computed from the stored cron).
    const view = await request(`${volume.app.url}/api/v1/schedules/nightly`);
    expect(view.body.next_runs[0]).toMatch(/T02:30:00\.000Z$/); // 03:30 Berlin (CET) = 02:30 UTC
  });

  it('a reload that drops one removes it; an API schedule is left alone', async () => {
    const api = await request(`${volume.app.url}/api/v1/schedules`, {
      body: {
        name: 'mine',
        cron: '0 9 * * 1',
        timezone: 'UTC',
        target: { message: { type: 'generate_report', data: { name: 'Mine' } } },
      },
    });
    expect(api.status).toBe(201);
    volume.write(yaml({ weekly: schedule('0 16 * * 5', 'Weekly') }));
    await until(async () => {
      const l = await list();
      return l.length === 1 && l[0].name === 'weekly';
    }, 'nightly removed');
    expect((await request(`${volume.app.url}/api/v1/schedules/nightly`)).status).toBe(404);
    expect((await request(`${volume.app.url}/api/v1/schedules/mine`)).body).toMatchObject({ source: 'api' });
  });
});
