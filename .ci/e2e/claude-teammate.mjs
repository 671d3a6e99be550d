// The real Claude Code CLI (pinned) as a teammate, spawned through our
// spawn_teammate tool into a private tmux server, talking to a scripted mock
// model (../shared/tools/mockllm). The lead is the official MCP SDK client.
// It proves that
//   (a) the teammate reads its prompt from the inbox we seeded (the prompt
//       shows up in a request to the model, and not on its command line);
//   (b) its native SendMessage reply and its idle_notification land in the
//       lead's inbox, where poll_inbox returns them;
// then force-kills it, deletes the team and checks that no pane is left.
//
// Needs tmux, python3, npm and ../shared beside the clone; outside CI a
// missing one skips (exit 77). Claude Code is installed once into
// $E2E_CACHE/npm-claude (or CLAUDE_BIN names a claude executable to use).
// On failure everything useful is printed and the work directory is kept.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assert, call, connect, step } from './lib.mjs';
import { claudeMate, isIdle } from './lib-claude.mjs';
import { execArgv, freePort, sleep } from './lib-team.mjs';

const CLAUDE_VERSION = '2.1.197';
const TEAM = 'e2e-claude';
const MATE = 'worker';
const PROMPT = 'E2E-PROMPT-7f3a: reply to the lead with SendMessage, then wait.';
const REPLY = 'E2E-REPLY-c41d: prompt received';
const API_KEY = 'sk-ant-mock';
const REPLY_DEADLINE_MS = 90_000;
const IDLE_DEADLINE_MS = 30_000;

let lead;
let mock;
let paneId = '';
const received = [];

const {
  work, root, proj, socket, serverLog, claudeBinary, trustClaude, startMock, claudeEnv, finish, panes, tmux, promptRequests,
  diagnostics,
} = claudeMate({
  name: 'claude-teammate', tmpPrefix: 'ctc', socketPrefix: 'ct-e2e', version: CLAUDE_VERSION, team: TEAM, mate: MATE, prompt: PROMPT,
}, () => ({ lead, mock, paneId, received }));

let failed = false;
try {
  const claude = claudeBinary();
  step(`claude ${claude.version} (${claude.bin})`);

  trustClaude(API_KEY);

  const port = await freePort();
  mock = await startMock(port, {
    MOCK_TOOL: 'SendMessage', MOCK_ARGS: JSON.stringify({ to: 'team-lead', message: REPLY, summary: 'e2e reply' }),
  });
  step(`mock model on 127.0.0.1:${port}`);

  const serverEnv = claudeEnv(dirname(claude.bin), port, API_KEY);
  lead = await connect(root, 'claude-code', serverEnv);

  step('team_create');
  const created = await call(lead, 'team_create', { team_name: TEAM, description: 'real claude teammate' });
  assert.equal(created.lead_agent_id, `team-lead@${TEAM}`);

  step('spawn_teammate (backend claude)');
  const spawned = await call(lead, 'spawn_teammate', {
    team_name: TEAM, name: MATE, prompt: PROMPT, cwd: proj, backend_type: 'claude',
  });
  assert.equal(spawned.agent_id, `${MATE}@${TEAM}`);
  assert.equal(spawned.backend_type, 'claude');
  assert.match(spawned.pane_id, /^%\d+$/);
  paneId = spawned.pane_id;
  assert.ok(panes().some((p) => p.startsWith(paneId + ' ')), `pane ${paneId} not in ${panes()}`);

  step('the pane runs claude with the native flags and our environment, not the prompt');
  const checked = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: MATE });
  assert.equal(checked.alive, true, `teammate not alive: ${JSON.stringify(checked)}`);
  assert.ok(checked.pid > 0, `no pid: ${JSON.stringify(checked)}`);
  const cmdline = (await execArgv(checked.pid)).join(' ');
  assert.match(cmdline, new RegExp(`--agent-id ${MATE}@${TEAM}`), `pane process: ${cmdline}`);
  assert.ok(!cmdline.includes('E2E-PROMPT'), `prompt on the command line: ${cmdline}`);
  const environ = readFileSync(`/proc/${checked.pid}/environ`, 'utf8').split('\0');
  for (const kv of ['CLAUDECODE=1', 'CLAUDE_CODE_EXPERIMENTAL_AGENT_TEAMS=1', `CLAUDE_CONFIG_DIR=${root}`,
    `ANTHROPIC_BASE_URL=${serverEnv.ANTHROPIC_BASE_URL}`, 'ENABLE_TOOL_SEARCH=false']) {
    assert.ok(environ.includes(kv), `${kv} not in the teammate's environment: ${environ.join(' ')}`);
  }

  step('lead receives the SendMessage reply (poll_inbox)');
  const waitFor = async (pred, deadlineMs, what) => {
    const end = Date.now() + deadlineMs;
    while (!received.some(pred)) {
      const left = end - Date.now();
      assert.ok(left > 0, `no ${what} in the lead's inbox after ${deadlineMs / 1000} s`);
      const polled = await call(lead, 'poll_inbox', {
        team_name: TEAM, agent_name: 'team-lead', timeout_ms: Math.min(left, 10_000),
      });
      received.push(...polled.messages);
      if (polled.timed_out) {
        const st = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: MATE, include_messages: false });
        assert.ok(st.alive, `teammate died while waiting for ${what}: ${JSON.stringify(st)}`);
      }
    }
    return received.find(pred);
  };
  const reply = await waitFor((m) => m.from === MATE && m.text.includes(REPLY), REPLY_DEADLINE_MS, 'reply');
  assert.equal(reply.summary, 'e2e reply');

  step('the prompt reached the model as a message from team-lead (mock dump)');
  const reqs = promptRequests();
  assert.ok(reqs.length > 0, 'no model request carries the prompt');
  const fromLead = `<teammate-message teammate_id="team-lead">\n${PROMPT}\n</teammate-message>`;
  assert.ok(JSON.stringify(reqs[0].body.messages).includes(JSON.stringify(fromLead).slice(1, -1)),
    `prompt not delivered as an inbox message from team-lead: ${JSON.stringify(reqs[0].body.messages).slice(0, 2000)}`);

  step('lead receives the idle_notification');
  const idle = await waitFor((m) => m.from === MATE && isIdle(m), IDLE_DEADLINE_MS, 'idle_notification');
  assert.equal(JSON.parse(idle.text).from, MATE);
  assert.deepEqual(received.filter((m) => m.from !== MATE), [], 'messages from someone else');
  assert.deepEqual(received.filter((m) => /crash/i.test(`${m.summary} ${m.text}`)), [], 'crash reported');

  step('team_status shows it live (running, or idle after its idle_notification)');
  // starting turns into running on the supervisor's next tick after output,
  // and into idle once its idle_notification is seen.
  for (const end = Date.now() + 30_000; ;) {
    const status = await call(lead, 'team_status', { team_name: TEAM });
    const mine = status.teammates.find((t) => t.name === MATE);
    assert.ok(mine, `team_status: ${JSON.stringify(status)}`);
    assert.equal(mine.alive, true, `team_status: ${JSON.stringify(mine)}`);
    assert.equal(mine.pane_id, paneId);
    if (mine.state === 'running' || mine.state === 'idle') break;
    assert.equal(mine.state, 'starting', `team_status: ${JSON.stringify(mine)}`);
    assert.ok(Date.now() < end, `still starting after 30 s: ${JSON.stringify(mine)}`);
    await sleep(250);
  }

  step('claude-teams supervisor status --json sees it through the socket');
  const cli = spawnSync(process.env.CLAUDE_TEAMS_BIN, ['supervisor', 'status', '--team', TEAM, '--json'], {
    encoding: 'utf8', timeout: 30_000, env: { ...serverEnv, HOME: root, CLAUDE_CONFIG_DIR: root },
  });
  assert.equal(cli.status, 0, `supervisor status: ${cli.stderr}`);
  const cliTeam = JSON.parse(cli.stdout).teams.find((t) => t.name === TEAM);
  assert.equal(cliTeam?.supervised, true, cli.stdout);
  const cliMate = cliTeam.teammates.find((t) => t.name === MATE);
  assert.ok(['running', 'idle'].includes(cliMate?.state), cli.stdout);
  assert.equal(cliMate.pane_id, paneId, cli.stdout);

  step('force_kill_teammate');
  const killed = await call(lead, 'force_kill_teammate', { team_name: TEAM, agent_name: MATE });
  assert.equal(killed.success, true, JSON.stringify(killed));
  assert.ok(!panes().some((p) => p.startsWith(paneId + ' ')), `pane ${paneId} survived: ${panes()}`);
  const cfg = await call(lead, 'read_config', { team_name: TEAM });
  assert.deepEqual(cfg.members.map((m) => m.name), ['team-lead']);
  paneId = '';

  step('team_delete leaves no pane');
  const deleted = await call(lead, 'team_delete', { team_name: TEAM });
  assert.equal(deleted.success, true, JSON.stringify(deleted));
  assert.deepEqual(panes(), [], 'panes left in the private tmux server');
  const teamDir = join(root, 'teams', TEAM);
  assert.ok(!existsSync(teamDir), `${teamDir} left behind: ${spawnSync('find', [teamDir]).stdout}`);
  await lead.close();
  assert.ok(!existsSync(teamDir), `${teamDir} written again after team_delete: ${spawnSync('find', [teamDir]).stdout}`);

  step('the server logged no error');
  const errors = readFileSync(serverLog, 'utf8').split('\n').filter((l) => l.includes('"level":"error"'));
  assert.deepEqual(errors, [], 'error events in the server log');
} catch (err) {
  failed = true;
  await diagnostics(err);
} finally {
  await finish(failed);
}
process.exit(failed ? 1 : 0);
