import { request, startTestApp, type TestApp } from './support/test-app';

describe('observability: /metrics (quick)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('serves metrics', async () => {
    await request(`${t.url}/api/v1/messages`, { body: { type: 'generate_plan', data: { goals: ['a'] } } });
    await request(`${t.url}/nope/123`);
    const res = await request(`${t.url}/metrics`);
    console.log(
      res.headers.get('content-type'),
      res.text
        .split('\n')
        .filter((l) => l.startsWith('http_') || l.startsWith('mira_'))
        .join('\n'),
    );
  });
});
