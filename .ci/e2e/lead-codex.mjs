// `codex exec` (the pinned old Codex CLI) as the lead calls our team, task
// and message tools (see lib-lead.mjs, codexLead).
import { codexLead, leadScenario } from './lib-lead.mjs';

await leadScenario('lead-codex', 'CODEX_BIN', codexLead);
