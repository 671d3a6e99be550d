// Issue 13 for OpenCode: a restarted real opencode teammate keeps its
// conversation. The teammate (pinned opencode TUI, spawned with restart
// "on-failure" into a private tmux server, talking to the scripted mock
// model) reads its inbox and answers the lead with send_message; after that
// first turn the supervisor learns the session id opencode picked (it runs
// `opencode session list` / `opencode export`) and records it. Its process
// is then killed with SIGKILL, the supervisor restarts it with `opencode
// run --session <id> --interactive`, and the FIRST model request after the
// kill must already carry the earlier turns: our instruction, the
// send_message tool call and its result. (A later request would prove
// nothing: in a fresh conversation the mock would script the same calls.)
//
// Needs tmux, python3, OPENCODE_BIN and ../shared beside the clone; outside
// CI a missing one skips (exit 77). On failure everything useful is printed
// and the work directory is kept.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assert, call, connect, step } from './lib.mjs';
import { Mailbox, Scenario, dumpDiagnostics, execArgv, jsonLines, sleep } from './lib-team.mjs';

const TEAM = 'e2e-oc-resume';
const MATE = 'oc-mate';
const PROMPT = 'E2E-PROMPT-opencode-7c41: reply to the lead, then wait.';
const REPLY = 'E2E-REPLY-opencode-2f90: prompt received';
const REPLY_DEADLINE_MS = 180_000; // the TUI's first turn is slow here
const SESSION_DEADLINE_MS = 120_000;
const RESTART_DEADLINE_MS = 120_000; // the restart asks opencode first

const sc = new Scenario('opencode-resume');
const bins = sc.need(['tmux', 'python3'], ['OPENCODE_BIN']);
const root = join(sc.work, 'root'); // HOME and CLAUDE_CONFIG_DIR
const proj = join(sc.work, 'proj');
mkdirSync(root);
mkdirSync(proj);
const serverLog = join(sc.work, 'server.log');

let lead;
let mailbox;
const mate = { name: MATE, paneId: '' };
let failed = false;
try {
  const mock = await sc.mock('opencode', {
    MOCK_SEQ: JSON.stringify([
      { tool: 'read_inbox', args: { team_name: TEAM, agent_name: MATE } },
      {
        tool: 'send_message',
        args: { team_name: TEAM, type: 'message', sender: MATE, recipient: 'team-lead', content: REPLY, summary: 'opencode reply' },
      },
    ]),
  });
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
  }));
  const chats = () => jsonLines(mock.dump).filter((d) => d.path.endsWith('/chat/completions'));

  lead = await connect(root, 'claude-code', {
    PATH: [dirname(bins.OPENCODE_BIN), process.env.PATH].join(':'),
    TMUX_TMPDIR: sc.work,
    XDG_RUNTIME_DIR: sc.work,
    CLAUDE_TEAMS_TMUX_SOCKET: sc.socket,
    CLAUDE_TEAMS_LOG_FILE: serverLog,
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
  });
  sc.clients.push(lead);
  mailbox = new Mailbox(lead, TEAM);

  step('team_create, spawn_teammate (opencode, restart on-failure)');
  await call(lead, 'team_create', { team_name: TEAM, description: 'opencode resume after a crash' });
  const spawned = await call(lead, 'spawn_teammate', {
    team_name: TEAM, name: MATE, prompt: PROMPT, cwd: proj, backend_type: 'opencode', restart: 'on-failure',
  });
  mate.paneId = spawned.pane_id;

  step('the teammate answers its prompt (send_message)');
  const t0 = Date.now();
  await mailbox.waitFor((m) => m.from === MATE && m.text.includes(REPLY), REPLY_DEADLINE_MS, 'reply');
  step(`  reply after ${Date.now() - t0} ms`);

  step('after its first turn the supervisor learns and records the session opencode picked');
  let before;
  for (const end = Date.now() + SESSION_DEADLINE_MS; ;) {
    before = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: MATE, include_messages: false });
    if (/^ses_[A-Za-z0-9]+$/.test(before.session_id ?? '')) break;
    assert.ok(Date.now() < end, `no opencode session id after ${SESSION_DEADLINE_MS / 1000} s: ${JSON.stringify(before)}`);
    await sleep(500);
  }
  step(`  session ${before.session_id} after ${Date.now() - t0} ms`);
  assert.equal(before.resumed, false, JSON.stringify(before));
  // The owner keeps the id (and its state file) at once and writes the
  // member record just after, off its loop: check_teammate may answer in
  // between, so wait for the record rather than read it once.
  const memberOf = () => JSON.parse(readFileSync(join(root, 'teams', TEAM, 'config.json'), 'utf8')).members.find((m) => m.name === MATE);
  for (const end = Date.now() + SESSION_DEADLINE_MS; memberOf()?.sessionId !== before.session_id;) {
    assert.ok(Date.now() < end, `member record without session ${before.session_id} after ${SESSION_DEADLINE_MS / 1000} s: ${JSON.stringify(memberOf())}`);
    await sleep(100);
  }

  step('SIGKILL the teammate; the supervisor restarts it with opencode run --session');
  const requestsBeforeKill = chats().length;
  process.kill(before.pid, 'SIGKILL');
  let after;
  for (const end = Date.now() + RESTART_DEADLINE_MS; ;) {
    after = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: MATE, include_messages: false });
    if (after.alive && after.pid !== before.pid && after.restarts >= 1) break;
    assert.ok(Date.now() < end, `not restarted after ${RESTART_DEADLINE_MS / 1000} s: ${JSON.stringify(after)}`);
    await sleep(250);
  }
  mate.paneId = after.pane_id;
  assert.equal(after.session_id, before.session_id, JSON.stringify(after));
  assert.equal(after.resumed, true, JSON.stringify(after));
  const cmdline = await execArgv(after.pid);
  assert.ok(cmdline.includes('run') && cmdline[cmdline.indexOf('--session') + 1] === before.session_id, `argv: ${cmdline.join(' ')}`);

  step('the first model request after the restart carries the earlier turns');
  let first;
  for (const end = Date.now() + REPLY_DEADLINE_MS; !(first = chats()[requestsBeforeKill]);) {
    assert.ok(Date.now() < end, 'no model request after the restart');
    await sleep(250);
  }
  const msgs = first.body.messages;
  const text = JSON.stringify(msgs);
  const show = () => text.slice(0, 6000);
  assert.ok(text.includes(`(agent id ${MATE}@${TEAM}), a teammate`), `first request after the restart lacks our instruction:\n${show()}`);
  assert.ok(msgs.some((m) => (m.tool_calls ?? []).some((c) => c.function?.name?.endsWith('send_message'))),
    `first request after the restart lacks the earlier send_message call:\n${show()}`);
  assert.ok(msgs.some((m) => m.role === 'tool'), `first request after the restart lacks the earlier tool results:\n${show()}`);
  assert.ok(text.includes('You were restarted'), `first request after the restart lacks the resume note:\n${show()}`);

  step('force_kill_teammate, team_delete');
  const killed = await call(lead, 'force_kill_teammate', { team_name: TEAM, agent_name: MATE });
  assert.equal(killed.success, true, JSON.stringify(killed));
  mate.paneId = '';
  const deleted = await call(lead, 'team_delete', { team_name: TEAM, force: true });
  assert.equal(deleted.success, true, JSON.stringify(deleted));
} catch (err) {
  failed = true;
  await dumpDiagnostics(sc, err, { lead, team: TEAM, root, mates: [mate], serverLog, mailbox });
} finally {
  await lead?.close().catch(() => {});
  sc.finish(failed);
}
