import { ref } from './openapi.json-schema';
import type { OperationDoc } from './openapi.operations';

/**
 * A row builder for the operation tables of one tag: most routes answer one status with one
 * component schema (`null`: no body, 204) and list their error statuses. `body` is the request's.
 */
export function operationsOf(tag: string) {
  return (
    summary: string,
    status: number,
    [description, schema]: [description: string, schema: string | null],
    errors: number[],
    body?: OperationDoc['body'],
  ): OperationDoc => ({
    summary,
    tag,
    ...(body ? { body } : {}),
    success: { [status]: { description, schema: schema === null ? null : ref(schema) } },
    errors,
  });
}
