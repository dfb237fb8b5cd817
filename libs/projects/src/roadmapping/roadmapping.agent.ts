import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { Agent, BaseAgent, parseInput } from '@mira/agents';

export const ROADMAPPING_AGENT_ID = 'roadmapping_agent';

/** The reference's KPI weights: EBIT impact 40 %, revenue 30 %, cost saving 30 %. */
export const KPI_WEIGHTS = { ebit_impact: 0.4, revenue: 0.3, cost_save: 0.3 } as const;

const MAX_OBJECTIVES = 100;

interface Template {
  match: readonly string[];
  name: (objective: string) => string;
  ebit_impact: number;
  revenue: number;
  cost_save: number;
  scale_factor: number;
  priority: 'high' | 'medium';
  timeline_weeks: number;
}

/** The reference's initiative per kind of objective (matched case-insensitively); the last one is the fallback. */
const TEMPLATES: readonly Template[] = [
  {
    match: ['efficiency', 'cost reduction'],
    name: (o) => `Automate ${o} processes`,
    ebit_impact: 0.25,
    revenue: 0.1,
    cost_save: 0.35,
    scale_factor: 1.2,
    priority: 'high',
    timeline_weeks: 12,
  },
  {
    match: ['growth', 'revenue'],
    name: (o) => `AI-driven ${o} optimization`,
    ebit_impact: 0.3,
    revenue: 0.4,
    cost_save: 0.15,
    scale_factor: 1.5,
    priority: 'high',
    timeline_weeks: 16,
  },
  {
    match: ['innovation', 'transformation'],
    name: (o) => `Innovative ${o} solutions`,
    ebit_impact: 0.2,
    revenue: 0.25,
    cost_save: 0.2,
    scale_factor: 1.0,
    priority: 'medium',
    timeline_weeks: 20,
  },
  {
    match: [],
    name: (o) => `AI initiative for ${o}`,
    ebit_impact: 0.15,
    revenue: 0.2,
    cost_save: 0.25,
    scale_factor: 1.0,
    priority: 'medium',
    timeline_weeks: 14,
  },
];

const initiativeSchema = z.object({
  name: z.string(),
  objective: z.string(),
  ebit_impact: z.number(),
  revenue: z.number(),
  cost_save: z.number(),
  scale_factor: z.number(),
  priority: z.enum(['high', 'medium']),
  timeline_weeks: z.number().int(),
});
export type Initiative = z.infer<typeof initiativeSchema>;

const roadmapSchema = z.looseObject({
  business_objectives: z
    .array(z.string().min(1).max(200, 'at most 200 characters'))
    .max(MAX_OBJECTIVES, `at most ${MAX_OBJECTIVES} items`)
    .default([]),
});

const kpiSchema = z.looseObject({
  initiative_id: z.string().max(200, 'at most 200 characters').default(''),
  // The reference reads these from an Airtable record; here the caller passes that record (no made-up figures).
  kpis: z
    .object({
      ebit_pct: z.number().optional(),
      revenue_change: z.number().optional(),
      cost_reduction: z.number().optional(),
      last_updated: z.string().max(100).optional(),
    })
    .default({}),
});

const roadmapOutputSchema = z.object({
  initiatives: z.array(initiativeSchema),
  ebit_projection: z.number(),
  timeline: z.record(z.string(), z.object({ start_week: z.number().int(), end_week: z.number().int() })),
  generated_by: z.string(),
});
const kpiOutputSchema = z.object({
  initiative_id: z.string(),
  ebit_attribution: z.number(),
  revenue_impact: z.number(),
  cost_savings: z.number(),
  last_updated: z.string().nullable(),
  tracked_by: z.string(),
});

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Sum over initiatives of the weighted KPI score times the scale factor, rounded to 2 decimals (reference rule). */
export function ebitImpact(initiatives: readonly Partial<Initiative>[]): number {
  let total = 0;
  for (const i of initiatives) {
    const score = (Object.keys(KPI_WEIGHTS) as (keyof typeof KPI_WEIGHTS)[]).reduce(
      (sum, k) => sum + KPI_WEIGHTS[k] * (i[k] ?? 0),
      0,
    );
    total += score * (i.scale_factor ?? 1);
  }
  return round2(total);
}

export function initiativeFor(objective: string): Initiative {
  const key = objective.toLowerCase();
  const t = TEMPLATES.find((x) => x.match.includes(key)) ?? TEMPLATES[TEMPLATES.length - 1];
  const { match: _match, name, ...kpis } = t;
  return { name: name(objective), objective, ...kpis };
}

@Injectable()
@Agent({
  id: ROADMAPPING_AGENT_ID,
  messageTypes: ['generate_roadmap', 'track_kpi_progress'],
  description:
    'AI roadmaps aligned to business objectives, with EBIT projection; KPI tracking per initiative',
  schemas: {
    generate_roadmap: {
      summary: 'One initiative per business objective, the projected EBIT impact and a timeline',
      input: roadmapSchema,
      output: roadmapOutputSchema,
      example: { business_objectives: ['efficiency', 'growth', 'innovation'] },
    },
    track_kpi_progress: {
      summary: "An initiative's EBIT attribution, revenue impact and cost savings",
      input: kpiSchema,
      output: kpiOutputSchema,
      example: {
        initiative_id: 'INIT-001',
        kpis: { ebit_pct: 0.18, revenue_change: 0.22, cost_reduction: 0.15 },
      },
    },
  },
})
export class RoadmappingAgent extends BaseAgent {
  protected readonly handlers = {
    generate_roadmap: (data: unknown) => this.generateRoadmap(data),
    track_kpi_progress: (data: unknown) => this.trackKpiProgress(data),
  };

  generateRoadmap(data: unknown) {
    const { business_objectives } = parseInput(roadmapSchema, data, 'generate_roadmap');
    const initiatives = business_objectives.map(initiativeFor);
    // The reference leaves `timeline` empty; here each initiative runs after the previous one.
    const timeline: Record<string, { start_week: number; end_week: number }> = {};
    let week = 1;
    for (const i of initiatives) {
      timeline[i.name] = { start_week: week, end_week: week + i.timeline_weeks - 1 };
      week += i.timeline_weeks;
    }
    return { initiatives, ebit_projection: ebitImpact(initiatives), timeline, generated_by: this.id };
  }

  trackKpiProgress(data: unknown) {
    const { initiative_id, kpis } = parseInput(kpiSchema, data, 'track_kpi_progress');
    return {
      initiative_id,
      ebit_attribution: kpis.ebit_pct ?? 0,
      revenue_impact: kpis.revenue_change ?? 0,
      cost_savings: kpis.cost_reduction ?? 0,
      last_updated: kpis.last_updated ?? null,
      tracked_by: this.id,
    };
  }
}
