// `codex exec` of the newest Codex CLI as the lead calls our team, task
// and message tools (see lib-lead.mjs, codexLead).
import { codexLead, leadScenario } from './lib-lead.mjs';

await leadScenario('lead-codex-newest', 'CODEX_NEWEST_BIN', codexLead);
