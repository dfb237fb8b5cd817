/** OFREP's failure body (open-feature/protocol service/openapi.yaml: evaluationFailure, bulkEvaluationFailure). */
export interface OfrepFailure {
  key?: string;
  errorCode: string;
  errorDetails: string;
}

const OFREP_PATH = /^\/ofrep\/v1\/evaluate\/flags(?:\/([^/?#]+))?\/?(?:[?#]|$)/;

/** Refusals of a body before any handler runs: not JSON, or not sent as JSON. */
const PARSE_CODES = new Set([
  'INVALID_JSON',
  'JSON_TOO_DEEP',
  'FST_ERR_CTP_INVALID_JSON_BODY',
  'FST_ERR_CTP_EMPTY_JSON_BODY',
  'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
]);

/**
 * An OFREP evaluation whose body could not be parsed answers in OFREP's shape (400, errorCode
 * PARSE_ERROR; `key` on the single-flag route), so OFREP providers read it as the protocol says
 * rather than as Mira's own error body. Null for any other request or error.
 */
export function ofrepParseFailure(
  url: string | undefined,
  exception: unknown,
): { status: 400; body: OfrepFailure } | null {
  const route = OFREP_PATH.exec(url ?? '');
  if (!route) return null;
  const err = exception as { code?: unknown; message?: unknown } | null;
  if (typeof err?.code !== 'string' || !PARSE_CODES.has(err.code)) return null;
  const details =
    err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
      ? 'the body must be JSON sent as Content-Type: application/json: {"context": {...}}'
      : typeof err.message === 'string'
        ? err.message
        : 'the body is not valid JSON';
  const body: OfrepFailure = { errorCode: 'PARSE_ERROR', errorDetails: details };
  if (route[1] !== undefined) {
    let key = route[1];
    try {
      key = decodeURIComponent(key);
    } catch {
      // an undecodable key is answered as sent
    }
    return { status: 400, body: { key, ...body } };
  }
  return { status: 400, body };
}

/** Whether `url` is an OFREP evaluation route (its 5xx answers also carry OFREP's `errorDetails`). */
export function isOfrepRoute(url: string | undefined): boolean {
  return OFREP_PATH.test(url ?? '');
}
