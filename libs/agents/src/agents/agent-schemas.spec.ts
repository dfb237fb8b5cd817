import { z } from 'zod';
import { ConfigStore, loadConfig } from '@mira/config';
import { Agent } from '../agent.decorator';
import type { AgentOptions } from '../agent.interface';
import type { BaseAgent } from '../base.agent';
import { Clock } from '../clock.service';
import { GovernanceAgent } from './governance.agent';
import { ProjectPlanAgent } from './project-plan.agent';
import { RiskAssessmentAgent } from './risk-assessment.agent';
import { StatusReporterAgent } from './status-reporter.agent';

// The API document is built from these schemas: they must describe what the agents really do.
const agents: BaseAgent[] = [
  new ProjectPlanAgent(),
  new RiskAssessmentAgent(),
  new StatusReporterAgent(new Clock()),
  new GovernanceAgent(new ConfigStore(loadConfig({ file: null, env: {} }))),
];

const cases = agents.flatMap((agent) => {
  const options = Reflect.getMetadata(Agent.KEY, agent.constructor) as AgentOptions;
  return options.messageTypes.map((type) => [options.id, type, agent, options] as const);
});

describe('agent schemas (the source of the OpenAPI document)', () => {
  it.each(cases)('%s declares a schema and an example for %s', (_id, type, _agent, options) => {
    const schema = options.schemas?.[type];
    expect(schema).toBeDefined();
    expect(schema!.output).toBeDefined();
    expect(schema!.input.safeParse(schema!.example).success).toBe(true);
    // Both export to JSON Schema (the document would fail to build otherwise).
    expect(z.toJSONSchema(schema!.input, { target: 'openapi-3.0', io: 'input' })).toMatchObject({
      type: 'object',
    });
    expect(z.toJSONSchema(schema!.output!, { target: 'openapi-3.0', io: 'output' })).toMatchObject({
      type: 'object',
    });
  });

  it.each(cases)(
    '%s answers its %s example with data matching its output schema exactly',
    async (_id, type, agent, options) => {
      const schema = options.schemas![type];
      const res = await agent.process({ type, data: schema.example! });
      expect(res.status).toBe('success');
      // parse() drops keys the schema does not know: equality proves none is undocumented.
      expect(schema.output!.parse(res.data)).toEqual(res.data);
    },
  );
});
