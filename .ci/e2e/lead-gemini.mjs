// Gemini CLI non-interactive (gemini -p) as the lead calls our team, task
// and message tools (see lib-lead.mjs). As the README says: a trusted
// folder (--skip-trust), and our server registered with trust (no
// confirmations) in settings.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leadScenario, run, serverEnv } from './lib-lead.mjs';

await leadScenario('lead-gemini', 'GEMINI_BIN', async ({ root, mock, home, proj, prompt, bin }) => {
  mkdirSync(join(home, '.gemini'));
  writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify({
    mcpServers: { 'claude-teams': { command: process.env.CLAUDE_TEAMS_BIN, args: [], env: serverEnv(root), trust: true, timeout: 660000 } },
    security: { auth: { selectedType: 'gemini-api-key' } },
    general: { disableAutoUpdate: true, disableUpdateNag: true },
    privacy: { usageStatisticsEnabled: false },
  }));
  return run([bin, '--skip-trust', '-p', prompt, '--output-format', 'json'], {
    cwd: proj,
    env: { PATH: process.env.PATH, HOME: home, GEMINI_API_KEY: 'gemini-mock', GOOGLE_GEMINI_BASE_URL: mock.url },
  });
});
