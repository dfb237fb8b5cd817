import type { DeliveryMessage } from './delivery.interface';

/** The fields of a generate_report answer that the human formats show. */
export interface ReportLike {
  project_name: string;
  report_date?: string;
  week_number?: number;
  summary?: { completion_percentage?: number; total_tasks?: number; completed_tasks?: number };
  accomplishments?: string[];
  risks_and_blockers?: { id?: string | null; description?: string | null; severity?: string }[];
  next_week_plan?: string[];
  upcoming_milestones?: { name?: string | null; week?: number }[];
}

/** A report directly, or inside an agent envelope / run result (`data`, `result`). */
export function findReport(data: unknown, depth = 0): ReportLike | null {
  if (!data || typeof data !== 'object' || depth > 3) return null;
  const o = data as Record<string, unknown>;
  if (typeof o.project_name === 'string' && (o.summary || o.accomplishments))
    return o as unknown as ReportLike;
  for (const key of ['data', 'result', 'report', 'output'])
    if (key in o) {
      const found = findReport(o[key], depth + 1);
      if (found) return found;
    }
  return null;
}

export interface ReportSections {
  title: string;
  completion: string | null;
  sections: { heading: string; items: string[] }[];
}

/** The readable parts every human format shares: title, completion %, accomplishments, risks, next steps. */
export function reportSections(message: DeliveryMessage): ReportSections {
  const report = findReport(message.data);
  if (!report) {
    return {
      title: message.title,
      completion: null,
      sections: [{ heading: 'Result', items: [JSON.stringify(message.data, null, 2).slice(0, 2500)] }],
    };
  }
  const s = report.summary;
  const completion =
    typeof s?.completion_percentage === 'number'
      ? `${s.completion_percentage}% complete` +
        (typeof s.completed_tasks === 'number' && typeof s.total_tasks === 'number'
          ? ` (${s.completed_tasks} of ${s.total_tasks} tasks)`
          : '')
      : null;
  const risks = (report.risks_and_blockers ?? []).map(
    (r) =>
      `${r.id ? `${r.id}: ` : ''}${r.description ?? 'unnamed risk'}${r.severity ? ` (${r.severity})` : ''}`,
  );
  const milestones = (report.upcoming_milestones ?? []).map(
    (m) => `${m.name ?? 'Milestone'} (week ${m.week ?? '?'})`,
  );
  return {
    title: `Status report: ${report.project_name}${report.week_number !== undefined ? `, week ${report.week_number}` : ''}`,
    completion,
    sections: [
      { heading: 'Accomplishments', items: report.accomplishments ?? [] },
      { heading: 'Risks and blockers', items: risks.length ? risks : ['None reported'] },
      { heading: 'Upcoming milestones', items: milestones },
      { heading: 'Next steps', items: report.next_week_plan ?? [] },
    ].filter((x) => x.items.length > 0),
  };
}

// Slack mrkdwn: only &, < and > are special.
const slackEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A Slack incoming-webhook body: `text` (notifications, fallback) plus Block Kit blocks. */
export function slackBody(message: DeliveryMessage): { text: string; blocks: unknown[] } {
  const r = reportSections(message);
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: r.title.slice(0, 150) } }];
  if (r.completion)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(r.completion)}*` } });
  for (const sec of r.sections)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*${slackEscape(sec.heading)}*\n${sec.items.map((i) => `• ${slackEscape(i)}`).join('\n')}`.slice(
          0,
          3000,
        ),
      },
    });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: slackEscape(`${message.type} · ${message.occurred_at}`) }],
  });
  // `text` is mrkdwn too: unescaped, a title could ping (<!channel>) or hide a link (<url|label>).
  return { text: slackEscape(r.completion ? `${r.title}: ${r.completion}` : r.title), blocks };
}

const htmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An email: subject, plain-text and HTML bodies with the same content. */
export function emailBody(message: DeliveryMessage): { subject: string; text: string; html: string } {
  const r = reportSections(message);
  const text = [
    r.title,
    ...(r.completion ? [r.completion] : []),
    '',
    ...r.sections.flatMap((s) => [s.heading, ...s.items.map((i) => `- ${i}`), '']),
    `${message.type} at ${message.occurred_at}`,
  ].join('\n');
  const html =
    `<h1>${htmlEscape(r.title)}</h1>` +
    (r.completion ? `<p><strong>${htmlEscape(r.completion)}</strong></p>` : '') +
    r.sections
      .map(
        (s) =>
          `<h2>${htmlEscape(s.heading)}</h2><ul>${s.items.map((i) => `<li>${htmlEscape(i)}</li>`).join('')}</ul>`,
      )
      .join('') +
    `<p><small>${htmlEscape(message.type)} at ${htmlEscape(message.occurred_at)}</small></p>`;
  return { subject: r.title, text, html };
}
