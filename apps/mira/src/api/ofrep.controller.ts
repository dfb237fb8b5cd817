import { createHash } from 'node:crypto';
import { Body, Controller, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { EvaluationContext, EvaluationDetails, JsonValue } from '@openfeature/server-sdk';
import { FlagContextBuilder, FlagsService } from '@mira/flags';
import { RequireCaller } from '../security/caller.decorator';
import { Caller } from '../security/roles.decorator';
import type { CallerIdentity } from '../security/caller-identity';

type Success = {
  key: string;
  value: JsonValue;
  reason: string;
  variant?: string;
  metadata: Record<string, unknown>;
};
type Failure = { key?: string; errorCode: string; errorDetails: string };

/**
 * The OpenFeature Remote Evaluation Protocol (OFREP core: single and bulk evaluation), so other
 * services and the inbox evaluate Mira's flags. The request's `context` is the remote caller's
 * (plus this replica's environment, version and replica name); errors answer in OFREP's shape.
 * `roles` always come from the authenticated caller (a body's `roles` are dropped: role-targeted
 * flags must not be read as admin by anyone who says so). `targetingKey` may come from the body:
 * an OFREP client evaluates for its own users, so it names them.
 */
@Controller('ofrep/v1/evaluate/flags')
@RequireCaller()
export class OfrepController {
  constructor(
    private readonly flags: FlagsService,
    private readonly fixed: FlagContextBuilder,
  ) {}

  @Post(':key')
  @HttpCode(200)
  async one(
    @Param('key') key: string,
    @Body() body: unknown,
    @Caller() caller: CallerIdentity,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Success | Failure> {
    const ctx = this.context(body, caller);
    if (typeof ctx === 'string')
      return fail(reply, 400, { key, errorCode: 'INVALID_CONTEXT', errorDetails: ctx });
    if (!this.flags.config.has(key))
      return fail(reply, 404, {
        key,
        errorCode: 'FLAG_NOT_FOUND',
        errorDetails: `flag "${key}" is not defined`,
      });
    const r = await this.evaluate(key, ctx);
    if ('errorCode' in r) return fail(reply, r.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400, r);
    return r;
  }

  @Post()
  @HttpCode(200)
  async bulk(
    @Body() body: unknown,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Caller() caller: CallerIdentity,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ flags: (Success | Failure)[] } | Failure | undefined> {
    const ctx = this.context(body, caller);
    if (typeof ctx === 'string') return fail(reply, 400, { errorCode: 'INVALID_CONTEXT', errorDetails: ctx });
    // Disabled flags are left out, as flagd's own bulk evaluation does.
    const defs = this.flags.config.definitions();
    const keys = this.flags.keys().filter((k) => defs[k].state !== 'DISABLED');
    const flags = await Promise.all(keys.map((key) => this.evaluate(key, ctx)));
    const answer = { flags };
    const etag = `"${createHash('sha256').update(JSON.stringify(answer)).digest('base64url').slice(0, 27)}"`;
    void reply.header('etag', etag);
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === etag)) {
      void reply.status(304);
      return undefined;
    }
    return answer;
  }

  /** The evaluation context, or why the body is not one. */
  private context(body: unknown, caller: CallerIdentity): EvaluationContext | string {
    const roles = [...caller.roles];
    if (body === undefined || body === null) return { ...this.fixed.fixed, roles };
    if (typeof body !== 'object' || Array.isArray(body))
      return 'the body must be a JSON object: {"context": {...}}';
    const given = (body as { context?: unknown }).context;
    if (given === undefined) return { ...this.fixed.fixed, roles };
    if (given === null || typeof given !== 'object' || Array.isArray(given))
      return '"context" must be a JSON object of evaluation context fields';
    const targetingKey = (given as { targetingKey?: unknown }).targetingKey;
    if (targetingKey !== undefined && typeof targetingKey !== 'string')
      return '"context.targetingKey" must be a string';
    const { roles: _ignored, ...rest } = given as EvaluationContext;
    return { ...this.fixed.fixed, ...rest, roles };
  }

  private async evaluate(key: string, ctx: EvaluationContext): Promise<Success | Failure> {
    const def = this.flags.config.definitions()[key];
    if (ctx.targetingKey === undefined && def && JSON.stringify(def.targeting ?? {}).includes('"fractional"'))
      return {
        key,
        errorCode: 'TARGETING_KEY_MISSING',
        errorDetails: `flag "${key}" splits by percentage: send context.targetingKey (a stable id of the user or entity)`,
      };
    const d: EvaluationDetails<JsonValue> = await this.flags.evaluateIn(key, ctx);
    if (d.errorCode) return { key, errorCode: d.errorCode, errorDetails: d.errorMessage ?? d.errorCode };
    return {
      key,
      value: d.value,
      reason: d.reason ?? 'UNKNOWN',
      variant: d.variant,
      metadata: { ...d.flagMetadata },
    };
  }
}

function fail(reply: FastifyReply, status: number, body: Failure): Failure {
  void reply.status(status);
  return body;
}
