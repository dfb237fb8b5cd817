import type { ArgumentsHost } from '@nestjs/common';
import { StateError } from '@mira/state';
import { ApiExceptionFilter, type ApiErrorBody } from './api-exception.filter';

function answer(err: unknown): { status: number; body: ApiErrorBody } {
  const seen = { status: 0, body: {} as ApiErrorBody };
  const reply = {
    header: () => reply,
    status: (s: number) => ((seen.status = s), reply),
    send: (b: ApiErrorBody) => ((seen.body = b), reply),
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ url: '/api/v1/messages' }) }),
  } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(err, host);
  return seen;
}

describe('ApiExceptionFilter: state store refusals', () => {
  it('a duplicate unique key is a 409 without the driver text', () => {
    const r = answer(
      new StateError(
        'STATE_DUPLICATE',
        'sqlite insert: UNIQUE constraint failed: schedules.name (secret-ish)',
      ),
    );
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ statusCode: 409, code: 'STATE_DUPLICATE' });
    expect(String(r.body.message)).not.toContain('schedules.name');
  });
});

describe('ApiExceptionFilter: OFREP routes answer in OFREP shapes', () => {
  function at(url: string, err: unknown): { status: number; body: Record<string, unknown> } {
    const seen = { status: 0, body: {} as Record<string, unknown> };
    const reply = {
      header: () => reply,
      status: (s: number) => ((seen.status = s), reply),
      send: (b: Record<string, unknown>) => ((seen.body = b), reply),
    };
    const host = {
      switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ url }) }),
    } as unknown as ArgumentsHost;
    new ApiExceptionFilter().catch(err, host);
    return seen;
  }
  const notJson = Object.assign(new Error('Request body is not valid JSON at line 1'), {
    code: 'INVALID_JSON',
    statusCode: 400,
  });

  it('a body that is not JSON: 400 PARSE_ERROR, with the decoded key on the single-flag route', () => {
    expect(at('/ofrep/v1/evaluate/flags/inbox.live%5Fupdates?x=1', notJson)).toEqual({
      status: 400,
      body: { key: 'inbox.live_updates', errorCode: 'PARSE_ERROR', errorDetails: notJson.message },
    });
    expect(at('/ofrep/v1/evaluate/flags', notJson)).toEqual({
      status: 400,
      body: { errorCode: 'PARSE_ERROR', errorDetails: notJson.message },
    });
    const media = Object.assign(new Error('Unsupported Media Type'), {
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      statusCode: 415,
    });
    expect(at('/ofrep/v1/evaluate/flags', media)).toMatchObject({
      status: 400,
      body: { errorCode: 'PARSE_ERROR', errorDetails: expect.stringContaining('application/json') },
    });
  });

  it('a 5xx carries errorDetails (no internals); other routes keep the API body only', () => {
    const ofrep = at('/ofrep/v1/evaluate/flags/x', new Error('driver exploded at 10.0.0.3'));
    expect(ofrep.status).toBe(500);
    expect(ofrep.body).toMatchObject({ statusCode: 500, errorDetails: 'Internal server error' });
    expect(JSON.stringify(ofrep.body)).not.toContain('10.0.0.3');
    const api = at('/api/v1/messages', notJson);
    expect(api).toMatchObject({ status: 400, body: { code: 'INVALID_JSON' } });
    expect(api.body).not.toHaveProperty('errorCode');
    expect(at('/api/v1/messages', new Error('x')).body).not.toHaveProperty('errorDetails');
  });
});
