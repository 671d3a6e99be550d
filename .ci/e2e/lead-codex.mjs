// `codex exec` as the lead calls our team, task and message tools (see
// lib-lead.mjs), configured as the README says: env_vars passes CODEX_HOME
// on, and default_tools_approval_mode approves our destructive tools, which
// `codex exec` would otherwise refuse ("approval policy is never").
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leadScenario, run, serverEnv } from './lib-lead.mjs';

await leadScenario('lead-codex', 'CODEX_BIN', async ({ root, mock, home, proj, prompt, bin }) => {
  const codexHome = join(home, '.codex');
  mkdirSync(codexHome);
  const env = Object.entries(serverEnv(root)).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ');
  writeFileSync(join(codexHome, 'config.toml'), [
    'model = "mock-model"', 'model_provider = "mock"', '',
    '[model_providers.mock]', 'name = "mock"', `base_url = "${mock.url}/v1"`, 'wire_api = "responses"', '',
    '[mcp_servers.claude-teams]', `command = ${JSON.stringify(process.env.CLAUDE_TEAMS_BIN)}`,
    `env = { ${env} }`, 'env_vars = ["CODEX_HOME"]', 'tool_timeout_sec = 660', 'default_tools_approval_mode = "approve"', '',
  ].join('\n'));
  return run([bin, 'exec', '--skip-git-repo-check', '--json', prompt], {
    cwd: proj, env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: codexHome },
  });
});
