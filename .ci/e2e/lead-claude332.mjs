// Claude Code 2.1.332 as the lead (claude -p) calls our team, task and
// message tools through a real JSON-RPC stdio connection (see lib-lead.mjs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leadScenario, run, serverEnv } from './lib-lead.mjs';

await leadScenario('lead-claude332', 'CLAUDE332_BIN', async ({ root, mock, home, proj, prompt, bin }) => {
  const mcp = join(proj, 'mcp.json');
  writeFileSync(mcp, JSON.stringify({
    mcpServers: { 'claude-teams': { type: 'stdio', command: process.env.CLAUDE_TEAMS_BIN, args: [], env: serverEnv(root) } },
  }));
  // --permission-mode default: 2.1.332 would otherwise start in auto mode,
  // whose check needs Anthropic's own API (PROTOCOL.md §10).
  return run([bin, '-p', prompt, '--mcp-config', mcp, '--strict-mcp-config', '--allowedTools', 'mcp__claude-teams',
    '--permission-mode', 'default', '--output-format', 'stream-json', '--verbose'], {
    cwd: proj,
    env: {
      PATH: process.env.PATH, HOME: home, ANTHROPIC_BASE_URL: mock.url, ANTHROPIC_API_KEY: 'sk-ant-mock',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1', ENABLE_TOOL_SEARCH: 'false',
    },
  });
});
