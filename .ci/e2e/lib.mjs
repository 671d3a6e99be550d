// Shared helpers for the end-to-end scripts in this directory. Each script
// drives the built claude-teams binary ($CLAUDE_TEAMS_BIN) through the
// official TypeScript MCP SDK, installed by .ci/run from package.json /
// package-lock.json into $E2E_NODE_MODULES.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export { assert };

const modules = process.env.E2E_NODE_MODULES;
const bin = process.env.CLAUDE_TEAMS_BIN;
if (!modules || !bin) {
  throw new Error('set E2E_NODE_MODULES and CLAUDE_TEAMS_BIN (see .ci/run)');
}

const sdk = (p) => import(pathToFileURL(join(modules, '@modelcontextprotocol/sdk/dist/esm', p)).href);
const { Client } = await sdk('client/index.js');
const { StdioClientTransport } = await sdk('client/stdio.js');

// tempRoot makes a data root (CLAUDE_CONFIG_DIR) for one scenario.
export function tempRoot() {
  return mkdtempSync(join(tmpdir(), 'claude-teams-e2e-'));
}

// connect starts one claude-teams server process with its own data root and
// returns a connected SDK client calling itself clientName.
export async function connect(root, clientName, extraEnv = {}) {
  const transport = new StdioClientTransport({
    command: bin,
    args: ['serve'],
    env: { PATH: process.env.PATH, HOME: root, CLAUDE_CONFIG_DIR: root, CLAUDE_TEAMS_LOG_LEVEL: 'debug', ...extraEnv },
    stderr: 'pipe',
  });
  const client = new Client({ name: clientName, version: '1.0.0' });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  await client.connect(transport);
  client.stderrText = () => stderr;
  return client;
}

// call calls a tool that must succeed. The SDK itself checks the structured
// content against the tool's output schema; call also checks that the text
// content is the same JSON (for arrays: the structured content's result).
export async function call(client, name, args) {
  const res = await client.callTool({ name, arguments: args });
  const text = res.content?.[0]?.text;
  assert.ok(!res.isError, `${name}(${JSON.stringify(args)}) failed: ${text}`);
  assert.ok(res.structuredContent, `${name}: no structuredContent`);
  const parsed = JSON.parse(text);
  const expected = Array.isArray(parsed) ? res.structuredContent.result : res.structuredContent;
  assert.deepEqual(parsed, expected, `${name}: text and structured content differ`);
  return expected;
}

// refused calls a tool that must fail with an isError result (never a
// JSON-RPC error, which the SDK would throw) whose text matches pattern.
export async function refused(client, name, args, pattern) {
  const res = await client.callTool({ name, arguments: args });
  const text = res.content?.[0]?.text ?? '';
  assert.ok(res.isError, `${name}(${JSON.stringify(args)}) should fail, got ${text}`);
  assert.match(text, pattern, `${name}: error text`);
  return text;
}

// editConfig rewrites a team's config.json through edit(cfg), replacing the
// file in one rename as Claude Code's own lead does.
function editConfig(root, team, edit) {
  const path = join(root, 'teams', team, 'config.json');
  const cfg = JSON.parse(readFileSync(path, 'utf8'));
  edit(cfg);
  writeFileSync(path + '.e2e-tmp', JSON.stringify(cfg, null, 2));
  renameSync(path + '.e2e-tmp', path);
}

// addMember registers a teammate in config.json the way Claude Code's own
// lead does, for scenarios that run without a supervisor.
export function addMember(root, team, name) {
  editConfig(root, team, (cfg) => cfg.members.push({
    agentId: `${name}@${team}`, name, agentType: 'general-purpose', model: 'sonnet', prompt: `you are ${name}`,
    color: 'blue', planModeRequired: false, joinedAt: Date.now(), tmuxPaneId: '', cwd: root,
    subscriptions: [], backendType: 'claude', isActive: true,
  }));
}

// removeMember drops a teammate from config.json.
export function removeMember(root, team, name) {
  editConfig(root, team, (cfg) => { cfg.members = cfg.members.filter((m) => m.name !== name); });
}

// step logs progress so a failing CI run shows how far it got.
export function step(msg) {
  process.stdout.write(`  - ${msg}\n`);
}
