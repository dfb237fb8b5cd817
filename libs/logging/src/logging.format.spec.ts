import { jsonLogs } from './logging.options';
import { loggingSchema } from './logging.config';

describe('log format selection (logging.json)', () => {
  const dev = { NODE_ENV: 'development' };

  it('unset: pretty only on a terminal outside production and CI', () => {
    const auto = { json: null };
    expect(jsonLogs(auto, { env: dev, stdoutIsTTY: true })).toBe(false);
    expect(jsonLogs(auto, { env: dev, stdoutIsTTY: false })).toBe(true);
    expect(jsonLogs(auto, { env: { NODE_ENV: 'production' }, stdoutIsTTY: true })).toBe(true);
    expect(jsonLogs(auto, { env: { ...dev, CI: 'true' }, stdoutIsTTY: true })).toBe(true);
    expect(jsonLogs(auto, { env: { ...dev, CI: 'false' }, stdoutIsTTY: true })).toBe(false);
  });

  it('set: logging.json (or MIRA_LOG_JSON) wins over the terminal', () => {
    expect(jsonLogs({ json: true }, { env: dev, stdoutIsTTY: true })).toBe(true);
    expect(jsonLogs({ json: false }, { env: { NODE_ENV: 'production' }, stdoutIsTTY: false })).toBe(false);
  });

  it('parses the environment forms, and defaults to unset', () => {
    expect(loggingSchema.parse({}).json).toBeNull();
    expect(loggingSchema.parse({ json: 'on' }).json).toBe(true);
    expect(loggingSchema.parse({ json: 'false' }).json).toBe(false);
    expect(loggingSchema.parse({ json: 'auto' }).json).toBeNull();
    expect(loggingSchema.safeParse({ json: 'sometimes' }).success).toBe(false);
  });
});
