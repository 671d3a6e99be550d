// Claude Code 2.1.332 as the lead (claude -p) calls our team, task and
// message tools through a real JSON-RPC stdio connection (see lib-lead.mjs).
import { claudeLead, leadScenario } from './lib-lead.mjs';

await leadScenario('lead-claude332', 'CLAUDE332_BIN', claudeLead);
