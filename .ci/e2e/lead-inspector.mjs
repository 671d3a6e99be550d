// The MCP Inspector CLI (pinned) connects to our server over stdio, lists
// the tools and calls team, task and message tools; the files they write
// are checked. No model is involved.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert, step } from './lib.mjs';
import { run, TOOLS } from './lib-lead.mjs';
import { Scenario } from './lib-team.mjs';

const sc = new Scenario('lead-inspector');
const { INSPECTOR_BIN: bin } = sc.need([], ['INSPECTOR_BIN']);
const root = join(sc.work, 'root');
mkdirSync(root);
const TEAM = 'e2e-inspector';

// inspect runs one inspector call and returns its parsed JSON answer.
async function inspect(...args) {
  const r = await run([bin, '--cli', process.env.CLAUDE_TEAMS_BIN, '-e', `CLAUDE_CONFIG_DIR=${root}`, '-e', `HOME=${root}`, ...args], {
    env: { PATH: process.env.PATH, HOME: root },
  }, 120_000);
  assert.equal(r.code, 0, `inspector ${args.join(' ')}: exit ${r.code}\n${r.out}\n${r.err}`);
  return JSON.parse(r.out);
}
const callTool = async (name, args) => {
  const kv = Object.entries(args).flatMap(([k, v]) => ['--tool-arg', `${k}=${v}`]);
  const res = await inspect('--method', 'tools/call', '--tool-name', name, ...kv);
  assert.ok(!res.isError, `${name}: ${JSON.stringify(res)}`);
  return res.structuredContent;
};

let failed = false;
try {
  step('tools/list: every tool, each with an input schema');
  const listed = await inspect('--method', 'tools/list');
  const names = listed.tools.map((t) => t.name);
  for (const t of TOOLS) assert.ok(names.includes(t), `${t} not listed: ${names}`);
  for (const t of listed.tools) assert.equal(t.inputSchema?.type, 'object', `${t.name}: ${JSON.stringify(t.inputSchema)}`);

  step('tools/call: team_create, task_create, task_update, read_config, read_inbox');
  await callTool('team_create', { team_name: TEAM });
  assert.equal((await callTool('task_create', { team_name: TEAM, subject: 'inspected', description: 'd' })).id, '1');
  await callTool('task_update', { team_name: TEAM, task_id: '1', status: 'completed' });
  const cfg = await callTool('read_config', { team_name: TEAM });
  assert.equal(cfg.members[0].name, 'team-lead');
  await callTool('read_inbox', { team_name: TEAM, agent_name: 'team-lead' });
  const task = JSON.parse(readFileSync(join(root, 'tasks', TEAM, '1.json'), 'utf8'));
  assert.equal(task.status, 'completed', JSON.stringify(task));
} catch (err) {
  failed = true;
  process.stderr.write(`\n----- failure\n${err?.stack ?? err}\n`);
}
sc.finish(failed);
