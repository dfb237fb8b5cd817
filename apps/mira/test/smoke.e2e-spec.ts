import { request, startTestApp, type TestApp } from './support/test-app';

describe('smoke (real AppModule over HTTP)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers /healthz', async () => {
    const res = await request(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('healthy');
  });
});
