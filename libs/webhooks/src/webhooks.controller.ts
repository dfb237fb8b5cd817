import {
  BadRequestException,
  Controller,
  Head,
  HttpCode,
  Inject,
  NotFoundException,
  Optional,
  Param,
  Post,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import type * as Swagger from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { markRefusal, OTHER_LABEL } from '@mira/metrics';
import type { WebhookAdminCheck } from './webhook.interface';
import { WebhookMetrics, type WebhookDeliveryResult } from './webhook.metrics';
import { WEBHOOK_ADMIN_CHECK } from './webhooks.constants';
import { webhookAckSchema, type WebhookAck } from './webhooks.schemas';
import { WebhooksService, type WebhookOutcome } from './webhooks.service';

const REJECTION_MESSAGE: Record<string, (header: string | null) => string> = {
  missing_signature: (h) => `Missing webhook signature header ${h}`,
  malformed_signature: (h) => `Malformed webhook signature header ${h}`,
  stale_timestamp: () => 'Webhook signature timestamp is outside the tolerance window',
  invalid_signature: () => 'Invalid webhook signature',
  // Same answer as a wrong signature: a caller must not learn which services lack a key.
  no_secret: () => 'Invalid webhook signature',
};

@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    @Optional() @Inject(WebhookMetrics) private readonly metrics: WebhookMetrics | null = null,
    @Optional() @Inject(WEBHOOK_ADMIN_CHECK) private readonly admin: WebhookAdminCheck | null = null,
  ) {}

  @Post(':service')
  @HttpCode(202)
  async receive(
    @Param('service') service: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WebhookAck> {
    // The body parser hands webhook routes the bytes received, unparsed (applyHttpHardening).
    const raw = Buffer.isBuffer(req.body) ? req.body : null;
    // Only a registered service name becomes a label value.
    const label = this.webhooks.isKnown(service) ? service : OTHER_LABEL;
    const count = (result: WebhookDeliveryResult) => this.metrics?.record(label, result);
    let outcome: WebhookOutcome;
    try {
      outcome = await this.webhooks.receive({
        service,
        rawBody: raw ?? Buffer.alloc(0),
        headers: req.headers,
        url: `${req.protocol}://${req.host}${req.url}`,
        contentType: typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : null,
      });
    } catch (err) {
      count('failed'); // verified but not published (broker full or down)
      throw err;
    }
    count(
      outcome.kind === 'accepted' ? 'processed' : outcome.kind === 'duplicate' ? 'duplicate' : 'rejected',
    );
    switch (outcome.kind) {
      case 'unknown_service':
        markRefusal(reply, 'webhook_unknown_service');
        throw new NotFoundException('Unknown webhook service');
      case 'rejected':
        markRefusal(reply, 'webhook_signature');
        // An admin setting the service up learns the cause; anyone else gets the generic answer.
        if (outcome.rejection.reason === 'no_secret' && (await this.admin?.isAdmin(req)))
          throw new UnauthorizedException(
            `Invalid webhook signature: no secret configured for ${service}; set webhooks.${service}.secret`,
          );
        throw new UnauthorizedException(
          REJECTION_MESSAGE[outcome.rejection.reason](outcome.rejection.header),
        );
      case 'bad_payload':
        throw new BadRequestException(outcome.message);
      case 'duplicate':
        reply.status(200);
        return {
          status: 'accepted',
          service: outcome.service,
          delivery_id: outcome.deliveryId,
          duplicate: true,
        };
      case 'accepted':
        return { status: 'accepted', service: outcome.service, delivery_id: outcome.deliveryId };
    }
  }

  /** Trello checks a callback URL with HEAD before it creates the webhook. */
  @Head(':service')
  @HttpCode(200)
  check(@Param('service') service: string): void {
    if (!this.webhooks.isKnown(service)) throw new NotFoundException('Unknown webhook service');
  }

  /**
   * The routes' OpenAPI description, applied by the docs builder on the first /docs request
   * (as @Api* decorators here it loaded @nestjs/swagger, about 120 ms, at every start).
   */
  static describeOpenApi({
    ApiBody,
    ApiConsumes,
    ApiOperation,
    ApiParam,
    ApiResponse,
    ApiTags,
  }: typeof Swagger): void {
    const proto = WebhooksController.prototype;
    // Listed top to bottom as they would be written; applied bottom-up, like decorators.
    const decorate = (method: 'receive' | 'check', ...decorators: MethodDecorator[]) => {
      const descriptor = Object.getOwnPropertyDescriptor(proto, method)!;
      for (const decorator of decorators.reverse()) decorator(proto, method, descriptor);
    };
    decorate(
      'receive',
      ApiOperation({
        summary: 'Receive a signed webhook delivery',
        description:
          'Verified on the raw body (github: X-Hub-Signature-256; trello: X-Trello-Webhook; jira: X-Hub-Signature; ' +
          'module services: X-Mira-Signature t=<unix>,v1=<hex>), then published on the broker as webhook.<service>.',
      }),
      ApiParam({ name: 'service', example: 'github' }),
      ApiConsumes('application/json', 'application/x-www-form-urlencoded', 'text/plain'),
      ApiBody({ description: 'The provider payload, verified byte for byte', schema: {} }),
      ApiResponse({ status: 202, description: 'Verified and published', standardSchema: webhookAckSchema }),
      ApiResponse({
        status: 200,
        description: 'Replay of a delivery already accepted',
        standardSchema: webhookAckSchema,
      }),
      ApiResponse({ status: 401, description: 'Missing, malformed, stale or wrong signature' }),
      ApiResponse({ status: 404, description: 'Unknown or disabled service' }),
      ApiResponse({ status: 413, description: 'Body over server.body_limit_bytes' }),
      ApiResponse({ status: 429, description: 'Rate limited (Retry-After)' }),
    );
    decorate(
      'check',
      ApiOperation({ summary: 'Callback URL check (answers 200 for an enabled service)' }),
      ApiResponse({ status: 200, description: 'Known service' }),
      ApiResponse({ status: 404, description: 'Unknown or disabled service' }),
    );
    ApiTags('webhooks')(WebhooksController);
  }
}
