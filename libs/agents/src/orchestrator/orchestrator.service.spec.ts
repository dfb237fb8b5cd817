import { Injectable, Logger, Module } from '@nestjs/common';
import { ConfigStore, loadConfig } from '@mira/config';
import { Agent } from '../agent.decorator';
import { AgentError } from '../agent.error';
import type { RouteFailureCode, RouteResult } from '../agent.interface';
import { BaseAgent } from '../base.agent';
import { boot, EchoAgent, EchoModule, type Booted } from './orchestrator.testing';
import { useQuietBoot } from '../agents.testing';

/** A BaseAgent with a bug in one handler: the orchestrator must tell it from refused input. */
@Injectable()
@Agent({ id: 'faulty_agent', messageTypes: ['crash', 'refuse'] })
class FaultyAgent extends BaseAgent {
  protected readonly handlers = {
    crash: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'db_password')");
    },
    refuse: () => {
      throw new AgentError('AGENT_INVALID_INPUT', 'Invalid data for refuse: reason: Required');
    },
  };
}

@Module({ providers: [FaultyAgent] })
class FaultyModule {}

/** DOMAIN.md's routing table (message type -> agent id), stated once for the cases below. */
const DOMAIN_ROUTES: Readonly<Record<string, string>> = {
  generate_plan: 'project_plan_agent',
  update_plan: 'project_plan_agent',
  assess_risks: 'risk_assessment_agent',
  update_risk: 'risk_assessment_agent',
  generate_report: 'status_reporter_agent',
  schedule_report: 'status_reporter_agent',
  assess_governance: 'governance_agent',
  check_human_validation: 'governance_agent',
};

/** The RouteResult of a failure: its message is the envelope's error. */
function failedWith(code: RouteFailureCode, agentId: string, message: string): RouteResult {
  return {
    ok: false,
    code,
    message,
    response: {
      agent_id: agentId,
      timestamp: expect.any(String),
      status: 'error',
      data: null,
      error: message,
    },
  };
}

/** Swaps the live config snapshot (what a hot reload does). */
function reconfigure(store: ConfigStore, overrides: Record<string, unknown>): void {
  store.replace(loadConfig({ file: null, env: {}, overrides }));
}

describe('OrchestratorService', () => {
  let b: Booted;
  useQuietBoot(() => b);

  describe('routing', () => {
    beforeEach(async () => {
      b = await boot();
    });

    it("holds every rule of DOMAIN.md, read from the agents' @Agent metadata", () => {
      expect(b.orchestrator.routingRules()).toEqual(DOMAIN_ROUTES);
      expect(Object.fromEntries(b.registry.declaredRoutes())).toEqual(b.orchestrator.routingRules());
    });

    // The types whose defaults are not a valid `data`.
    const DATA: Record<string, Record<string, unknown>> = {
      update_plan: { plan: { a: 1 }, updates: { b: 2 } },
      update_risk: { risk: { id: 'R1' }, updates: { status: 'closed' } },
    };
    it.each(Object.entries(DOMAIN_ROUTES))('routes %s to %s', async (type, agentId) => {
      const { response, ...outcome } = await b.orchestrator.route({ type, data: DATA[type] ?? {} });
      expect(outcome).toEqual({ ok: true });
      expect(response.status).toBe('success');
      expect(response.agent_id).toBe(agentId);
      expect(response.error).toBeNull();
    });

    it('answers an unknown type with "No routing rule for message type: <type>; known types: ..."', async () => {
      const known = [...Object.keys(DOMAIN_ROUTES), 'workflow'].sort().join(', ');
      const text = `No routing rule for message type: x; known types: ${known}`;
      const routed = await b.orchestrator.route({ type: 'x', data: {} });
      expect(routed).toEqual(failedWith('no_route', 'orchestrator', text));
      expect((await b.orchestrator.process({ type: 'x', data: {} })).error).toBe(text);
    });

    it('answers "Agent not found" for an agent disabled in config, live', async () => {
      reconfigure(b.store, { agents: { project_plan_agent: { enabled: false } } });
      const routed = await b.orchestrator.route({ type: 'generate_plan', data: {} });
      expect(routed).toEqual(
        failedWith('agent_not_found', 'orchestrator', 'Agent not found: project_plan_agent'),
      );
      // Other agents are unaffected, and switching it back on restores routing.
      expect((await b.orchestrator.route({ type: 'assess_risks', data: {} })).ok).toBe(true);
      reconfigure(b.store, { agents: { project_plan_agent: { enabled: true } } });
      expect((await b.orchestrator.route({ type: 'generate_plan', data: {} })).ok).toBe(true);
    });

    it('marks bad input as invalid_input with the agent error', async () => {
      const routed = await b.orchestrator.route({ type: 'generate_plan', data: { goals: 'all' } });
      expect(routed).toMatchObject({ ok: false, code: 'invalid_input' });
      expect(routed.response.agent_id).toBe('project_plan_agent');
      expect(routed.response.error).toMatch(/^Invalid data for generate_plan: goals: /);
    });

    it('lists the four built-in agents, enabled', () => {
      const byAgent = new Map<string, string[]>();
      for (const [type, agentId] of Object.entries(DOMAIN_ROUTES))
        byAgent.set(agentId, [...(byAgent.get(agentId) ?? []), type]);
      expect(byAgent.size).toBe(4);
      expect(b.registry.list().map((a) => [a.id, a.enabled, [...a.messageTypes]])).toEqual(
        expect.arrayContaining([...byAgent].map(([id, types]) => [id, true, types])),
      );
      expect(b.registry.enabledCount()).toBe(b.registry.list().length);
    });

    it('adds routing rules at run time', async () => {
      await b.orchestrator.addRoutingRule('make_plan', 'project_plan_agent');
      expect(b.orchestrator.routingRules().make_plan).toBe('project_plan_agent');
      // Routed to the agent, which says it does not handle that type.
      const routed = await b.orchestrator.route({ type: 'make_plan', data: {} });
      expect(routed.response.agent_id).toBe('project_plan_agent');
      expect(routed.response.error).toBe('Agent project_plan_agent does not handle message type: make_plan');

      await b.orchestrator.addRoutingRule('nowhere', 'ghost_agent');
      expect((await b.orchestrator.route({ type: 'nowhere', data: {} })).response.error).toBe(
        'Agent not found: ghost_agent',
      );
      await expect(b.orchestrator.addRoutingRule('workflow', 'project_plan_agent')).rejects.toThrow(
        'Cannot route message type "workflow"',
      );
      await expect(b.orchestrator.addRoutingRule('', 'project_plan_agent')).rejects.toThrow();
    });

    it('schedules reports from the injected Clock', async () => {
      const { response } = await b.orchestrator.route({
        type: 'schedule_report',
        data: { day_of_week: 'wednesday' },
      });
      expect((response.data as { next_run: string }).next_run).toBe('2026-11-25T09:00:00.000Z');
    });
  });

  it('keeps the built-in routes when a module declaring the same type is imported before AgentsModule', async () => {
    b = await boot({ importsFirst: [EchoModule] });
    expect(b.orchestrator.routingRules().generate_plan).toBe('project_plan_agent');
    expect(b.orchestrator.routingRules().echo).toBe('echo_agent');
    expect(Logger.prototype.warn).toHaveBeenCalledWith(
      'Message type generate_plan is routed to project_plan_agent; echo_agent also declares it and is ignored for it',
    );
  });

  describe('an agent added by another module', () => {
    beforeEach(async () => {
      b = await boot({ imports: [EchoModule] });
    });

    it('is discovered, listed and routed without touching libs/agents', async () => {
      const echo = b.registry.list().find((a) => a.id === 'echo_agent');
      expect(echo).toMatchObject({ id: 'echo_agent', enabled: true, description: 'echoes' });
      expect(echo?.instance).toBeInstanceOf(EchoAgent);
      expect(b.registry.enabledCount()).toBe(5);
      expect(b.orchestrator.routingRules().echo).toBe('echo_agent');

      const { response, ...outcome } = await b.orchestrator.route({ type: 'echo', data: { hi: 1 } });
      expect(outcome).toEqual({ ok: true });
      expect(response).toMatchObject({
        agent_id: 'echo_agent',
        status: 'success',
        data: { echoed: { hi: 1 }, type: 'echo' },
      });
    });

    it('does not take over a type already routed to another agent', async () => {
      expect(b.orchestrator.routingRules().generate_plan).toBe('project_plan_agent');
      expect(Logger.prototype.warn).toHaveBeenCalledWith(
        'Message type generate_plan is routed to project_plan_agent; echo_agent also declares it and is ignored for it',
      );
      expect((await b.orchestrator.route({ type: 'generate_plan', data: {} })).response.agent_id).toBe(
        'project_plan_agent',
      );
    });

    it('lets a runtime rule redirect a type to it', async () => {
      await b.orchestrator.addRoutingRule('generate_plan', 'echo_agent');
      expect((await b.orchestrator.route({ type: 'generate_plan', data: {} })).response.agent_id).toBe(
        'echo_agent',
      );
    });

    it('reports a throwing agent as agent_failed', async () => {
      const routed = await b.orchestrator.route({ type: 'echo', data: { explode: true } });
      expect(routed).toEqual(
        failedWith('agent_failed', 'echo_agent', 'Processing echo failed: internal error'),
      );
    });

    it('can be disabled in config like any other agent', async () => {
      reconfigure(b.store, { agents: { echo_agent: { enabled: false } } });
      expect((await b.orchestrator.route({ type: 'echo', data: {} })).response.error).toBe(
        'Agent not found: echo_agent',
      );
      expect(b.registry.enabledCount()).toBe(4);
    });
  });

  describe('failure codes', () => {
    beforeEach(async () => {
      b = await boot({ imports: [EchoModule, FaultyModule] });
    });

    it('answers a bug in a BaseAgent handler as agent_failed, its detail only in the log', async () => {
      const routed = await b.orchestrator.route({ type: 'crash', data: {} });
      expect(routed).toEqual(
        failedWith('agent_failed', 'faulty_agent', 'Processing crash failed: internal error'),
      );
      expect(JSON.stringify(routed)).not.toMatch(/db_password|TypeError/);
      expect(Logger.prototype.error).toHaveBeenCalledWith(
        expect.stringContaining(
          "Agent faulty_agent threw while processing crash: Cannot read properties of undefined (reading 'db_password')",
        ),
        expect.stringContaining('TypeError'),
      );
    });

    it('answers an AgentError from a BaseAgent handler as invalid_input with its message', async () => {
      const routed = await b.orchestrator.route({ type: 'refuse', data: {} });
      expect(routed).toEqual(
        failedWith('invalid_input', 'faulty_agent', 'Invalid data for refuse: reason: Required'),
      );
      expect(Logger.prototype.error).not.toHaveBeenCalled();
    });

    it('answers an error envelope of a plain agent as invalid_input, a type it does not handle too', async () => {
      expect(await b.orchestrator.route({ type: 'echo', data: { refuse: true } })).toMatchObject({
        ok: false,
        code: 'invalid_input',
        message: 'refuse: not today',
      });
      await b.orchestrator.addRoutingRule('jump', 'faulty_agent');
      expect(await b.orchestrator.route({ type: 'jump', data: {} })).toMatchObject({
        ok: false,
        code: 'invalid_input',
        message: 'Agent faulty_agent does not handle message type: jump',
      });
    });

    it('gives each kind of failure its own code', async () => {
      reconfigure(b.store, { agents: { echo_agent: { enabled: false } } });
      const codes = await Promise.all(
        ['nothing_routes_this', 'echo', 'refuse', 'crash'].map(async (type) => {
          const routed = await b.orchestrator.route({ type, data: {} });
          return routed.ok ? 'ok' : routed.code;
        }),
      );
      expect(codes).toEqual(['no_route', 'agent_not_found', 'invalid_input', 'agent_failed']);
    });
  });
});
