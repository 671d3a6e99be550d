// A mixed team: the official MCP SDK client as the lead, and one teammate
// each of Claude Code 2.1.332, Codex, OpenCode and Gemini CLI, every one a
// real pinned CLI in a pane of a private tmux server, each talking to its
// own scripted mock model (../shared/tools/mockllm). It proves that
//   (a) each teammate's prompt, seeded in its inbox, reaches its model (the
//       mock's request dump holds it);
//   (b) each one's reply lands in the lead's inbox (poll_inbox);
//   (c) the Claude 2.1.332 teammate, started with --permission-mode default
//       and CLAUDE_CODE_ENABLE_TODO_TOOLS=1, updates our task file with its
//       native TaskUpdate (auto mode would refuse every tool behind a mock);
//   (d) the Codex teammate in a git repository is not stopped by "Trust this
//       folder?";
//   (e) team_status shows them all; after force_kill_teammate of each and
//       team_delete no pane and no process of the team is left.
// (Claude Code 2.1.332 turns a SendMessage exchange into plain text in its
// next request, so the mock, which counts tool results, plays SendMessage
// again until the teammate is killed: the lead gets its reply many times.)
// E2E_ROUNDS=N (default 1) repeats spawn → reply → force kill N times and
// prints the median spawn → reply time per backend (a figure, never an
// assertion).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assert, call, connect, refused, step } from './lib.mjs';
import { Mailbox, Scenario, dumpDiagnostics, execArgv, median, requestsWith, sleep } from './lib-team.mjs';

const TEAM = 'e2e-mixed';
const REPLY_DEADLINE_MS = 180_000;
const ROUNDS = Number(process.env.E2E_ROUNDS ?? 1);

const sc = new Scenario('mixed-team');
// The newest Codex CLI as the teammate (the pinned old one leads in
// lead-codex.mjs).
const bins = sc.need(['tmux', 'python3', 'git'], ['CLAUDE332_BIN', 'CODEX_NEWEST_BIN', 'OPENCODE_BIN', 'GEMINI_BIN']);
const root = join(sc.work, 'root'); // HOME and CLAUDE_CONFIG_DIR
mkdirSync(root);
const serverLog = join(sc.work, 'server.log');
const selfBin = process.env.CLAUDE_TEAMS_BIN;

const prompt = (b) => `E2E-PROMPT-${b}-5e1b: reply to the lead, then wait.`;
const reply = (b) => `E2E-REPLY-${b}-93ac: prompt received`;
const sendReply = (b, name) => ({
  tool: 'send_message',
  args: { team_name: TEAM, type: 'message', sender: name, recipient: 'team-lead', content: reply(b), summary: `${b} reply` },
});

// One teammate per backend, each with its own mock (its own script) and
// project directory.
const mates = [
  { backend: 'claude', bin: bins.CLAUDE332_BIN },
  { backend: 'codex', bin: bins.CODEX_NEWEST_BIN },
  { backend: 'opencode', bin: bins.OPENCODE_BIN },
  { backend: 'gemini', bin: bins.GEMINI_BIN },
];

for (const m of mates) m.name = `${m.backend}-mate`;

// The script of a teammate that has only our MCP tools: read the inbox
// (the prompt), then reply to the lead.
const mateScript = (m) => ({
  MOCK_SEQ: JSON.stringify([{ tool: 'read_inbox', args: { team_name: TEAM, agent_name: m.name } }, sendReply(m.backend, m.name)]),
});

let lead;
let mailbox;
let current = [];
let failed = false;
try {
  for (const m of mates) {
    m.proj = join(sc.work, `proj-${m.backend}`);
    mkdirSync(m.proj);
  }
  const [claude, codex, opencode, gemini] = mates;

  claude.mock = await sc.mock('claude', {
    MOCK_SEQ: JSON.stringify([
      { tool: 'TaskUpdate', args: { taskId: '1', status: 'in_progress' } },
      { tool: 'SendMessage', args: { to: 'team-lead', message: reply('claude'), summary: 'claude reply' } },
    ]),
  });
  // Claude Code's first-run, API-key and trust dialogs, answered in advance.
  writeFileSync(join(root, '.claude.json'), JSON.stringify({
    hasCompletedOnboarding: true, theme: 'dark',
    customApiKeyResponses: { approved: ['sk-ant-mock'], rejected: [] },
    projects: { [claude.proj]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
  }));

  // Codex: the user's provider in CODEX_HOME; the project is a git
  // repository, whose trust dialog claude-teams must skip.
  codex.mock = await sc.mock('codex', mateScript(codex));
  mkdirSync(join(root, '.codex'));
  writeFileSync(join(root, '.codex', 'config.toml'), [
    'model = "mock-model"', 'model_provider = "mock"', '',
    '[model_providers.mock]', 'name = "mock"', `base_url = "${codex.mock.url}/v1"`, 'wire_api = "responses"', '',
  ].join('\n'));
  assert.equal(spawnSync('git', ['init', '-q', codex.proj]).status, 0, 'git init');

  // OpenCode: the user's provider in the project's opencode.json.
  opencode.mock = await sc.mock('opencode', mateScript(opencode));
  writeFileSync(join(opencode.proj, 'opencode.json'), JSON.stringify({
    $schema: 'https://opencode.ai/config.json',
    model: 'mock/mock-model',
    provider: {
      mock: {
        npm: '@ai-sdk/openai-compatible', name: 'Mock',
        options: { baseURL: `${opencode.mock.url}/v1`, apiKey: 'mock' },
        models: { 'mock-model': { name: 'Mock model', tool_call: true } },
      },
    },
  }));

  // Gemini CLI: claude-teams registered once in the user's settings, an
  // auth type chosen, the key in our environment.
  gemini.mock = await sc.mock('gemini', mateScript(gemini));
  mkdirSync(join(root, '.gemini'));
  writeFileSync(join(root, '.gemini', 'settings.json'), JSON.stringify({
    mcpServers: { 'claude-teams': { command: selfBin, args: [], trust: true } },
    security: { auth: { selectedType: 'gemini-api-key' } },
    general: { disableAutoUpdate: true, disableUpdateNag: true },
    privacy: { usageStatisticsEnabled: false },
  }));

  const serverEnv = {
    PATH: [...mates.map((m) => dirname(m.bin)), process.env.PATH].join(':'),
    TMUX_TMPDIR: sc.work,
    XDG_RUNTIME_DIR: sc.work,
    CLAUDE_TEAMS_TMUX_SOCKET: sc.socket,
    CLAUDE_TEAMS_LOG_FILE: serverLog,
    CODEX_HOME: join(root, '.codex'),
    ANTHROPIC_BASE_URL: claude.mock.url,
    ANTHROPIC_API_KEY: 'sk-ant-mock',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    ENABLE_TOOL_SEARCH: 'false',
    GEMINI_API_KEY: 'gemini-mock',
    GOOGLE_GEMINI_BASE_URL: gemini.mock.url,
    // Offline: without these opencode waits on models.dev and its default
    // plugins before its first model request.
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
  };
  lead = await connect(root, 'claude-code', serverEnv);
  sc.clients.push(lead);
  mailbox = new Mailbox(lead, TEAM);

  step('team_create, task_create');
  await call(lead, 'team_create', { team_name: TEAM, description: 'one teammate per backend' });
  const task = await call(lead, 'task_create', { team_name: TEAM, subject: 'E2E task', description: 'claimed by the claude teammate' });
  assert.equal(task.id, '1', JSON.stringify(task));

  step('spawn_teammate refuses a permission mode Claude Code does not know');
  await refused(lead, 'spawn_teammate', {
    team_name: TEAM, name: 'bad-mode', prompt: 'p', cwd: claude.proj, backend_type: 'claude', permission_mode: 'yolo',
  }, /"yolo".*acceptEdits/);

  const times = Object.fromEntries(mates.map((m) => [m.backend, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    // The same names every round: a force-killed teammate's name is free
    // again, and the mocks' scripts name them.
    for (const m of mates) m.paneId = '';
    current = mates;
    const seen = mailbox.received.length;
    const mine = (m) => (x, i) => i >= seen && x.from === m.name && x.text.includes(reply(m.backend));

    step(`round ${round}: spawn_teammate × ${mates.length} (${mates.map((m) => m.backend).join(', ')})`);
    for (const m of mates) {
      const args = { team_name: TEAM, name: m.name, prompt: prompt(m.backend), cwd: m.proj, backend_type: m.backend };
      m.t0 = Date.now();
      const got = await call(lead, 'spawn_teammate', args);
      assert.equal(got.backend_type, m.backend, JSON.stringify(got));
      assert.match(got.pane_id, /^%\d+$/);
      m.paneId = got.pane_id;
    }

    step('each prompt reaches its model and each reply lands in the lead inbox');
    for (const m of mates) {
      const r = await mailbox.waitFor(mine(m), REPLY_DEADLINE_MS,
        `reply from ${m.name}`, async () => {
          const st = await call(lead, 'team_status', { team_name: TEAM });
          for (const t of st.teammates) assert.ok(t.alive, `teammate died: ${JSON.stringify(t)}`);
        });
      m.t1 = Date.now();
      assert.ok(r, m.name);
    }
    // Arrival times: a later reply may already have been received while
    // waiting for an earlier one, so take each message's own timestamp.
    for (const m of mates) {
      const r = mailbox.received.find(mine(m));
      times[m.backend].push(Date.parse(r.timestamp) - m.t0);
      assert.ok(requestsWith(m.mock, prompt(m.backend)).length > 0, `${m.backend}: no model request carries the prompt`);
    }

    if (round === 1) {
      step('the claude 2.1.332 teammate ran TaskUpdate: our task file says in_progress');
      const file = join(root, 'tasks', TEAM, '1.json');
      const t = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(t.status, 'in_progress', `task 1: ${JSON.stringify(t)}`);
      const cmd = await execArgv((await call(lead, 'check_teammate', { team_name: TEAM, agent_name: claude.name })).pid);
      assert.ok(cmd.includes('--permission-mode') && cmd[cmd.indexOf('--permission-mode') + 1] === 'default', `claude argv: ${cmd.join(' ')}`);
      assert.ok(!JSON.stringify(mailbox.received).includes('Auto mode is unavailable'), 'auto-mode refusal reached the lead');

      step('team_status shows them all');
      const st = await call(lead, 'team_status', { team_name: TEAM });
      for (const m of mates) {
        const t = st.teammates.find((x) => x.name === m.name);
        assert.ok(t, `${m.name} missing from team_status: ${JSON.stringify(st)}`);
        assert.equal(t.alive, true, JSON.stringify(t));
        assert.equal(t.backend, m.backend, JSON.stringify(t));
        assert.equal(t.pane_id, m.paneId, JSON.stringify(t));
        assert.notEqual(t.state, 'needs_input', JSON.stringify(t));
      }
    }
    // team_delete refuses a team with live teammates; the mock cannot
    // answer a shutdown_request, so they are force-killed.
    for (const m of mates) {
      const k = await call(lead, 'force_kill_teammate', { team_name: TEAM, agent_name: m.name });
      assert.equal(k.success, true, JSON.stringify(k));
      assert.ok(!sc.panes().some((p) => p.startsWith(`${m.paneId} `)), `pane ${m.paneId} of ${m.name} survived`);
    }
  }

  step('team_delete leaves no pane and no process of the team');
  const deleted = await call(lead, 'team_delete', { team_name: TEAM });
  assert.equal(deleted.success, true, JSON.stringify(deleted));
  current = [];
  assert.deepEqual(sc.panes(), [], 'panes left in the private tmux server');
  const ours = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const env = readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      return env.includes(`CLAUDE_CONFIG_DIR=${root}`) &&
        (env.includes(`CLAUDE_TEAMS_TEAM=${TEAM}`) || (cmd.includes('--team-name') && cmd.includes(TEAM)));
    } catch { return false; }
  }).map((p) => `${p}: ${readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').slice(0, 200)}`);
  for (const end = Date.now() + 20_000; ours().length > 0 && Date.now() < end;) await sleep(250);
  assert.deepEqual(ours(), [], 'processes of the team left after team_delete');
  assert.ok(!existsSync(join(root, 'teams', TEAM)), 'team directory left');

  for (const b of Object.keys(times)) {
    process.stdout.write(`  spawn → reply in the lead inbox, ${b}: median ${median(times[b])} ms of ${times[b].length} (${times[b].join(', ')})\n`);
  }
} catch (err) {
  failed = true;
  await dumpDiagnostics(sc, err, { lead, team: TEAM, root, mates: current, serverLog, mailbox });
} finally {
  await lead?.close().catch(() => {});
  sc.finish(failed);
}
