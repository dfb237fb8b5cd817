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
