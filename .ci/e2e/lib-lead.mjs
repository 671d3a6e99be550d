// A real agent CLI as the lead: it runs one non-interactive turn against a
// scripted mock model that makes it call our team, task and message tools
// in turn (team_create, task_create, send_message, task_list, read_inbox).
// The scenario then checks the files those calls wrote, that the CLI's
// model requests offered every one of our tools (no schema rejected) and
// carried the prompt, and that each scripted call got a result.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addMember, assert, call, connect, step } from './lib.mjs';
import { Scenario, jsonLines, readText, requestsWith } from './lib-team.mjs';

// TOOLS are every tool a lead's server lists without a supervisor's pane
// tools being required (the pane tools are listed too when tmux is there).
export const TOOLS = ['team_create', 'team_delete', 'read_config', 'send_message', 'read_inbox', 'poll_inbox',
  'task_create', 'task_update', 'task_list', 'task_get'];

export const LEAD_MSG = 'E2E-LEAD-NOTE-2b7e';

// OTHER is a team made before the CLI runs, with a teammate "worker" (no
// process) for the lead's send_message to reach.
export const OTHER = 'e2e-other';

// script is the mock's MOCK_SEQ for team t.
export function script(team) {
  return [
    { tool: 'team_create', args: { team_name: team, description: 'made by a real lead CLI' } },
    { tool: 'task_create', args: { team_name: team, subject: 'E2E lead task', description: 'made by the lead' } },
    { tool: 'task_update', args: { team_name: team, task_id: '1', status: 'in_progress' } },
    { tool: 'send_message', args: { team_name: OTHER, type: 'message', recipient: 'worker', content: LEAD_MSG, summary: 'note' } },
    { tool: 'task_list', args: { team_name: team } },
    { tool: 'read_inbox', args: { team_name: team, agent_name: 'team-lead' } },
  ];
}

// run runs a command to its end (bounded), returning its exit code and output.
export function run(argv, opts, deadlineMs = 240_000) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out, err }); });
  });
}

// leadScenario sets up a scratch root, one mock playing script(team), and
// calls launch({ sc, root, mock, team, home, proj, prompt, bin }) to run the
// CLI; then it checks the outcome.
export async function leadScenario(name, binVar, launch) {
  const sc = new Scenario(name);
  const bins = sc.need(['python3'], [binVar]);
  const team = `e2e-${name}`;
  const root = join(sc.work, 'root'); // the data root our server uses
  const home = join(sc.work, 'home'); // the CLI's own HOME
  const proj = join(sc.work, 'proj');
  for (const d of [root, home, proj]) mkdirSync(d);
  const prompt = `E2E-LEAD-PROMPT-${name}: set up the team with the claude-teams tools.`;
  let failed = false;
  let mock;
  let res;
  try {
    const setup = await connect(root, 'e2e-setup');
    await call(setup, 'team_create', { team_name: OTHER });
    await setup.close();
    addMember(root, OTHER, 'worker');
    mock = await sc.mock(name, { MOCK_SEQ: JSON.stringify(script(team)) });
    step(`${name}: one turn of the real CLI as lead`);
    res = await launch({ sc, root, mock, team, home, proj, prompt, bin: bins[binVar] });
    step(`${name}: exit ${res.code}${res.signal ? ` (${res.signal})` : ''}`);

    step('the prompt reached the model, which was offered all our tools');
    assert.ok(requestsWith(mock, prompt).length > 0, 'no model request carries the prompt');
    const reqs = jsonLines(mock.log).filter((r) => (r.tools ?? []).length > 0);
    assert.ok(reqs.length > 0, 'no model request offered tools');
    const offered = reqs[0].tools;
    for (const t of TOOLS) {
      assert.ok(offered.some((n) => n === t || n.endsWith(`__${t}`) || n.endsWith(`_${t}`)),
        `tool ${t} not offered to the model (schema rejected?): ${offered.join(' ')}`);
    }
    step('each scripted call ran: the files say so');
    const targets = jsonLines(mock.log).map((r) => r.target).filter(Boolean);
    for (const s of script(team)) {
      assert.ok(targets.some((n) => n.endsWith(s.tool)), `${s.tool} never called: ${targets.join(' ')}`);
    }
    const cfg = JSON.parse(readFileSync(join(root, 'teams', team, 'config.json'), 'utf8'));
    assert.equal(cfg.members[0].name, 'team-lead');
    const task = JSON.parse(readFileSync(join(root, 'tasks', team, '1.json'), 'utf8'));
    assert.equal(task.subject, 'E2E lead task');
    assert.equal(task.status, 'in_progress');
    const inbox = readFileSync(join(root, 'teams', OTHER, 'inboxes', 'worker.json'), 'utf8');
    assert.ok(inbox.includes(LEAD_MSG), `worker inbox: ${inbox}`);
    const last = jsonLines(mock.log).filter((r) => r.have_result).length;
    assert.ok(last >= script(team).length, `only ${last} requests carried a tool result`);
    assert.equal(res.code, 0, 'the CLI failed');
  } catch (err) {
    failed = true;
    const out = (t, b) => process.stderr.write(`\n----- ${t}\n${b}\n`);
    out('failure', err?.stack ?? String(err));
    if (res) {
      out('CLI stdout (tail)', res.out.slice(-6000));
      out('CLI stderr (tail)', res.err.slice(-4000));
    }
    if (mock) out('mock log', readText(mock.log, 6000));
    const teamDir = join(root, 'teams', team);
    if (existsSync(teamDir)) out('team config', readText(join(teamDir, 'config.json')));
  }
  sc.finish(failed);
}

// serverEnv is the environment our server needs in the CLI's MCP entry.
export function serverEnv(root) {
  return { CLAUDE_CONFIG_DIR: root, CLAUDE_TEAMS_LOG_LEVEL: 'debug' };
}

// codexLead is leadScenario's launch for `codex exec` as the lead,
// configured as the README says: env_vars passes CODEX_HOME on, and
// default_tools_approval_mode approves our destructive tools, which
// `codex exec` would otherwise refuse ("approval policy is never").
export async function codexLead({ root, mock, home, proj, prompt, bin }) {
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
}

// claudeLead is leadScenario's launch for Claude Code (claude -p) as the
// lead, our server given to it in an --mcp-config file.
export async function claudeLead({ root, mock, home, proj, prompt, bin }) {
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
}
