// `opencode run` as the lead calls our team, task and message tools (see
// lib-lead.mjs), with the README's "timeout": 660000 (else 60 s per call).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leadScenario, run, serverEnv } from './lib-lead.mjs';

await leadScenario('lead-opencode', 'OPENCODE_BIN', async ({ root, mock, home, proj, prompt, bin }) => {
  writeFileSync(join(proj, 'opencode.json'), JSON.stringify({
    $schema: 'https://opencode.ai/config.json',
    model: 'mock/mock-model',
    provider: {
      mock: {
        npm: '@ai-sdk/openai-compatible', name: 'Mock',
        options: { baseURL: `${mock.url}/v1`, apiKey: 'mock' },
        models: { 'mock-model': { name: 'Mock model', tool_call: true } },
      },
    },
    mcp: {
      'claude-teams': {
        type: 'local', command: [process.env.CLAUDE_TEAMS_BIN], environment: serverEnv(root), enabled: true, timeout: 660000,
      },
    },
  }));
  return run([bin, 'run', '--format', 'json', prompt], {
    cwd: proj,
    env: {
      PATH: process.env.PATH, HOME: home, OPENCODE_DISABLE_MODELS_FETCH: '1', OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    },
  });
});
