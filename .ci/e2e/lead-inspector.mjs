// The MCP Inspector CLI, the pinned old one (0.x) and the newest (2.x, which
// needs node 22), connects to our server over stdio, lists the tools and
// calls team, task and message tools; the files they write are checked. No
// model is involved.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert, step } from './lib.mjs';
import { run, TOOLS } from './lib-lead.mjs';
import { Scenario } from './lib-team.mjs';

const sc = new Scenario('lead-inspector');
const bins = sc.need([], ['INSPECTOR_BIN', 'INSPECTOR_NEWEST_BIN']);
const node22 = process.env.NODE22_DIR ?? '';

// inspector drives one inspector binary against its own data root.
function inspector(label, bin, path) {
  const root = join(sc.work, `root-${label}`);
  mkdirSync(root);
  // inspect runs one inspector call and returns its parsed JSON answer.
  async function inspect(...args) {
    const r = await run([bin, '--cli', process.env.CLAUDE_TEAMS_BIN, '-e', `CLAUDE_CONFIG_DIR=${root}`, '-e', `HOME=${root}`, ...args], {
      env: { PATH: path, HOME: root },
    }, 120_000);
    assert.equal(r.code, 0, `inspector ${label} ${args.join(' ')}: exit ${r.code}\n${r.out}\n${r.err}`);
    return JSON.parse(r.out);
  }
  const callTool = async (name, args) => {
    const kv = Object.entries(args).flatMap(([k, v]) => ['--tool-arg', `${k}=${v}`]);
    const res = await inspect('--method', 'tools/call', '--tool-name', name, ...kv);
    assert.ok(!res.isError, `${label} ${name}: ${JSON.stringify(res)}`);
    return res.structuredContent;
  };
  return { root, inspect, callTool };
}

let failed = false;
try {
  for (const [label, bin, path] of [
    ['pinned', bins.INSPECTOR_BIN, process.env.PATH],
    ['newest', bins.INSPECTOR_NEWEST_BIN, [node22, process.env.PATH].filter(Boolean).join(':')],
  ]) {
    const { root, inspect, callTool } = inspector(label, bin, path);
    const team = `e2e-inspector-${label}`;
    step(`${label}: tools/list: every tool, each with an input schema`);
    const listed = await inspect('--method', 'tools/list');
    const names = listed.tools.map((t) => t.name);
    for (const t of TOOLS) assert.ok(names.includes(t), `${t} not listed: ${names}`);
    for (const t of listed.tools) assert.equal(t.inputSchema?.type, 'object', `${t.name}: ${JSON.stringify(t.inputSchema)}`);

    step(`${label}: tools/call: team_create, task_create, task_update, read_config, read_inbox`);
    await callTool('team_create', { team_name: team });
    assert.equal((await callTool('task_create', { team_name: team, subject: 'inspected', description: 'd' })).id, '1');
    await callTool('task_update', { team_name: team, task_id: '1', status: 'completed' });
    const cfg = await callTool('read_config', { team_name: team });
    assert.equal(cfg.members[0].name, 'team-lead');
    await callTool('read_inbox', { team_name: team, agent_name: 'team-lead' });
    const task = JSON.parse(readFileSync(join(root, 'tasks', team, '1.json'), 'utf8'));
    assert.equal(task.status, 'completed', JSON.stringify(task));
  }
} catch (err) {
  failed = true;
  process.stderr.write(`\n----- failure\n${err?.stack ?? err}\n`);
}
sc.finish(failed);
