import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Transporter } from 'nodemailer';
import { DeliveryKindProvider } from '../delivery.decorator';
import { emailBody } from '../delivery.format';
import type {
  DeliveryKind,
  DeliveryMessage,
  DeliverySendContext,
  DeliveryTarget,
} from '../delivery.interface';
import type { DeliveriesSettings } from '../deliveries.config';
import { DeliveriesError } from '../deliveries.error';

/** Email over SMTP (nodemailer, loaded on first use): a plain-text and an HTML part. */
@Injectable()
@DeliveryKindProvider({ kind: 'email' })
export class EmailDeliveryKind implements DeliveryKind, OnModuleDestroy {
  private transport: { key: string; transporter: Transporter } | null = null;

  async send(target: DeliveryTarget, message: DeliveryMessage, ctx: DeliverySendContext): Promise<void> {
    const where = `destination ${target.name}`;
    const transporter = await this.transporter(ctx.settings.smtp, ctx.timeoutMs);
    const { subject, text, html } = emailBody(message);
    try {
      await transporter.sendMail({
        from: ctx.settings.smtp.from,
        to: target.to,
        subject,
        text,
        html,
        headers: { 'X-Mira-Delivery-Id': message.id },
        messageId: `<${message.id}@mira>`,
      });
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      // 5xx SMTP replies are permanent (bad recipient, refused); the rest may pass later.
      const permanent = typeof code === 'number' && code >= 500 && code < 600;
      throw new DeliveriesError(
        'DELIVERY_SEND_FAILED',
        `${where}: SMTP ${code ? `answered ${code}` : 'failed'}; check deliveries.smtp.* and the recipients`,
        !permanent,
      );
    }
  }

  onModuleDestroy(): void {
    this.transport?.transporter.close();
    this.transport = null;
  }

  private async transporter(smtp: DeliveriesSettings['smtp'], timeoutMs: number): Promise<Transporter> {
    if (!smtp.host)
      throw new DeliveriesError(
        'DELIVERY_SMTP_NOT_CONFIGURED',
        'deliveries.smtp.host is not set; email cannot be sent',
        false,
      );
    // Rebuilt when the settings change (reload or a rotated secret://), keyed without printing secrets.
    const key = JSON.stringify([smtp.host, smtp.port, smtp.secure, smtp.user, smtp.password, timeoutMs]);
    if (this.transport?.key === key) return this.transport.transporter;
    this.transport?.transporter.close();
    const nodemailer = await import('nodemailer');
    const transporter = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    this.transport = { key, transporter };
    return transporter;
  }
}
