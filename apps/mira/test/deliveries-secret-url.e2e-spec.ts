import { Injectable, Module } from '@nestjs/common';
import { loadConfig } from '@mira/config';
import {
  DeliveryKindProvider,
  type DeliveryKind,
  type DeliveryMessage,
  type DeliveryTarget,
} from '@mira/deliveries';
import { request, startTestApp, type TestApp } from './support/test-app';
import { until } from './support/poll';
import { startHttpReceiver, type HttpReceiver } from './support/delivery-receivers';

// A Slack (or Teams) incoming-webhook URL is itself the credential: it is given as a secret://
// reference (env backend here: SLACK_WEBHOOK_URL), read after validation, and checked against
// deliveries.allowed_hosts at each send.

const KEY = 'secret-url-submitter-key-0123456789';

/** A module's kind that sends with its own client, not through the kinds' guarded HTTP helper. */
const sentByModuleKind: DeliveryTarget[] = [];
@Injectable()
@DeliveryKindProvider({ kind: 'teams' })
class TeamsDeliveryKind implements DeliveryKind {
  async send(target: DeliveryTarget, _message: DeliveryMessage): Promise<void> {
    sentByModuleKind.push(target);
  }
}
@Module({ providers: [TeamsDeliveryKind] })
class TeamsDeliveryModule {}
const AUDIT_KEY = 'secret-url-auditor-key-0123456789';
const auditor = { authorization: `Bearer ${AUDIT_KEY}` };
const submitter = { authorization: `Bearer ${KEY}` };

/** Creates a weekly report schedule sending to `deliveries` and runs it now; answers the trigger's response. */
async function runReport(url: string, name: string, deliveries: string[]) {
  const made = await request(`${url}/api/v1/schedules`, {
    headers: submitter,
    body: {
      name,
      cron: '0 16 * * 5',
      timezone: 'UTC',
      target: { message: { type: 'generate_report', data: { name: 'Apollo', week_number: 1, tasks: [] } } },
      deliveries,
    },
  });
  expect(made.status).toBe(201);
  return request(`${url}/api/v1/schedules/${made.body.id}/trigger`, { method: 'POST', headers: submitter });
}

/** The dead delivery row for `destination`, once there is one (auditor's view). */
const deadDelivery = (url: string, destination: string) =>
  until(async () => {
    const r = await request(`${url}/api/v1/deliveries?status=dead`, { headers: auditor });
    return r.body.deliveries?.find((d: { destination: string }) => d.destination === destination);
  }, `the delivery to ${destination} to be refused`);

describe('a delivery destination whose URL is a secret:// reference (real app, local receiver)', () => {
  let t: TestApp;
  let slack: HttpReceiver;
  let hookUrl: string;

  beforeAll(async () => {
    slack = await startHttpReceiver();
    hookUrl = `${slack.url}/services/T0SECRET/B0SECRET/x0secretpath0123`;
    t = await startTestApp({
      env: { SLACK_WEBHOOK_URL: hookUrl },
      overrides: {
        api: { keys: [{ name: 'pm-bot', key: KEY, roles: ['submitter'] }] },
        schedules: { tick_ms: 100 },
        deliveries: {
          poll_interval_ms: 50,
          allowed_hosts: ['127.0.0.1'],
          destinations: { team: { kind: 'slack', url: 'secret://slack:webhook_url' } },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await slack?.close();
  });

  it('delivers to the URL the secret holds', async () => {
    const run = await runReport(t.url, 'weekly-secret-hook', ['team']);
    expect(run.status).toBe(202);
    await until(() => slack.requests.length === 1, 'the Slack message');
    expect(slack.requests[0].path).toBe('/services/T0SECRET/B0SECRET/x0secretpath0123');
    expect(JSON.parse(slack.requests[0].body).text).toMatch(/^Status report: Apollo, week 1/);
  });

  it('needs deliveries.allowed_hosts: the host of a secret URL is unknown until it is read', () => {
    expect(() =>
      loadConfig({
        env: {},
        overrides: {
          deliveries: { destinations: { team: { kind: 'slack', url: 'secret://slack:webhook_url' } } },
        },
      }),
    ).toThrow(
      /deliveries\.destinations\.team\.url is a secret:\/\/ reference.*list the hosts it may use in deliveries\.allowed_hosts/,
    );
  });

  it('checks the URL it holds against deliveries.allowed_hosts when it is sent, for a module kind too', async () => {
    const other = await startTestApp({
      env: { SLACK_WEBHOOK_URL: hookUrl, TEAMS_WEBHOOK_URL: 'http://169.254.169.254/latest/meta-data' },
      imports: [TeamsDeliveryModule],
      overrides: {
        api: {
          keys: [
            { name: 'pm-bot', key: KEY, roles: ['submitter'] },
            { name: 'audit', key: AUDIT_KEY, roles: ['auditor'] },
          ],
        },
        deliveries: {
          poll_interval_ms: 50,
          max_attempts: 1,
          allowed_hosts: ['hooks.slack.com'],
          destinations: {
            team: { kind: 'slack', url: 'secret://slack:webhook_url' },
            teams: { kind: 'teams', url: 'secret://teams:webhook_url' },
          },
        },
      },
    });
    try {
      const before = slack.requests.length;
      await runReport(other.url, 'refused-host', ['team', 'teams']);
      const dead = await deadDelivery(other.url, 'team');
      expect(dead).toMatchObject({ status: 'dead', attempts: 1 });
      expect(dead.last_error).toMatch(
        /^destination team: host 127\.0\.0\.1 is not in deliveries\.allowed_hosts/,
      );
      // The error names the host, never the URL the secret holds.
      expect(JSON.stringify(dead)).not.toContain('x0secretpath0123');
      expect(slack.requests.length).toBe(before);
      // The module's kind was never handed the refused URL.
      const deadTeams = await deadDelivery(other.url, 'teams');
      expect(deadTeams.last_error).toMatch(
        /^destination teams: host 169\.254\.169\.254 is not in deliveries\.allowed_hosts/,
      );
      expect(sentByModuleKind).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
