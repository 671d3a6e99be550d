// Issue 13: a restarted real Claude Code teammate keeps its conversation.
// The teammate (pinned claude, spawned with restart "on-failure" into a
// private tmux server, talking to the scripted mock model) answers its
// prompt with SendMessage; its process is then killed with SIGKILL, the
// supervisor restarts it with --resume, and the FIRST model request after
// the kill must already carry the earlier turns: the prompt, the
// SendMessage tool call and its result. (A later request would prove
// nothing: in a fresh conversation the mock would script the same call.)
// check_teammate reports the same session_id and resumed: true; the
// restart note is the short one, not the whole assignment again.
//
// Then the supervising server itself is SIGKILLed: a new server adopts the
// teammate with its recorded session id, and when the teammate is killed
// again it resumes that conversation too (--resume, the prompt in the first
// request). Then restart_teammate with fresh: true starts a new
// conversation, and a second teammate SIGKILLed before its first turn
// (no transcript yet) restarts fresh, once, and answers. E2E_RESUME_TRIALS=N adds the README's latency measurement.
//
// Needs tmux, python3, npm and ../shared beside the clone; outside CI a
// missing one skips (exit 77). Claude Code is installed once into
// $E2E_CACHE/npm-claude (or CLAUDE_BIN names a claude executable to use).
// On failure everything useful is printed and the work directory is kept.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assert, call, connect, step } from './lib.mjs';
import { claudeMate, conversation, isIdle } from './lib-claude.mjs';
import { execArgv, freePort, readText, sleep } from './lib-team.mjs';

const CLAUDE_VERSION = '2.1.197';
const TEAM = 'e2e-resume';
const MATE = 'worker';
const EARLY = 'early'; // killed before its first turn
const PROMPT = 'E2E-PROMPT-9b2e: reply to the lead with SendMessage, then wait.';
const REPLY = 'E2E-REPLY-5d17: prompt received';
const RESTART_DEADLINE_MS = 60_000;
const API_KEY = 'sk-ant-mock';
const REPLY_DEADLINE_MS = 90_000;
const IDLE_DEADLINE_MS = 30_000;
// E2E_RESUME_TRIALS=N (not set in CI) adds the measurement for the README:
// N times, SIGKILL → the resumed teammate's first model request, with the
// restart's backoff (from the server log) subtracted; restart_teammate
// between trials (it resumes too, and revives: every crash is a first
// failure with the shortest backoff).
const TRIALS = Number(process.env.E2E_RESUME_TRIALS ?? 0);

let lead;
let mock;
let paneId = '';
const received = [];

const {
  work, root, proj, serverLog, claudeBinary, trustClaude, startMock, claudeEnv, finish, dumped, diagnostics,
} = claudeMate({
  name: 'claude-resume', tmpPrefix: 'ctr', socketPrefix: 'ct-resume', version: CLAUDE_VERSION, team: TEAM, mate: MATE, prompt: PROMPT,
}, () => ({ lead, mock, paneId, received }));

// logEvents returns the server log's events about the teammate.
function logEvents() {
  if (!existsSync(serverLog)) return [];
  return readFileSync(serverLog, 'utf8').split('\n').filter(Boolean).map((l) => {
    try { return JSON.parse(l); } catch { return {}; }
  }).filter((e) => e.agent === MATE);
}

// backoffs returns the backoff of every automatic restart in the server
// log, in seconds (zap writes durations as seconds).
function backoffs() {
  return logEvents().filter((e) => e.msg === 'teammate restarting').map((e) => Number(e.backoff));
}

// restartSteps splits the b-th automatic restart (killed at wall time
// killedAt, ms): SIGKILL → exit seen, and exit seen → new process started
// without the backoff (our part).
function restartSteps(b, killedAt) {
  const ev = logEvents();
  const i = ev.findIndex((e, k) => e.msg === 'teammate restarting' && ev.slice(0, k).filter((x) => x.msg === 'teammate restarting').length === b);
  const started = ev.slice(i).find((e) => e.msg === 'teammate starting');
  if (i < 0 || !started) return null;
  const seen = Date.parse(ev[i].ts);
  return { exitSeen: seen - killedAt, ours: Date.parse(started.ts) - seen - Number(ev[i].backoff) * 1000 };
}

// settled waits until the teammate's run has answered its restart note
// (one more idle_notification than idleBefore).
async function settled(idleBefore, what) {
  for (const end = Date.now() + REPLY_DEADLINE_MS; received.filter((m) => m.from === MATE && isIdle(m)).length <= idleBefore;) {
    assert.ok(Date.now() < end, `${what}: no idle_notification after ${REPLY_DEADLINE_MS / 1000} s`);
    const polled = await call(lead, 'poll_inbox', { team_name: TEAM, agent_name: 'team-lead', timeout_ms: 2_000 });
    received.push(...polled.messages);
  }
}

const idles = () => received.filter((m) => m.from === MATE && isIdle(m)).length;

// measure runs the TRIALS crash → first request measurements.
async function measure(current) {
  step(`measuring SIGKILL → first model request of the resumed teammate, ${TRIALS} times`);
  const figures = [];
  const raw = [];
  const steps = []; // "SIGKILL → exit seen + exit seen → new process (no backoff)", ms
  for (let i = 0; i < TRIALS; i++) {
    const rs = await call(lead, 'restart_teammate', { team_name: TEAM, agent_name: MATE });
    assert.equal(rs.resumed, true, `restart_teammate did not resume: ${JSON.stringify(rs)}`);
    assert.equal(rs.session_id, current.session_id, JSON.stringify(rs));
    await settled(idles(), `restart_teammate ${i + 1}`);
    const st = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: MATE, include_messages: false });
    paneId = st.pane_id;
    const n = dumped().length;
    const b = backoffs().length;
    const t0 = performance.now();
    const killedAt = Date.now();
    process.kill(st.pid, 'SIGKILL');
    for (const end = Date.now() + RESTART_DEADLINE_MS; !dumped().slice(n).some((d) => d.path.endsWith('/messages'));) {
      assert.ok(Date.now() < end, `trial ${i + 1}: no model request after the kill`);
      await sleep(10);
    }
    const t1 = performance.now();
    const backoff = backoffs()[b];
    assert.ok(Number.isFinite(backoff), `trial ${i + 1}: no backoff in the server log`);
    raw.push(Math.round(t1 - t0));
    figures.push(Math.round(t1 - t0 - backoff * 1000));
    const s = restartSteps(b, killedAt);
    if (s) steps.push(`${Math.round(s.exitSeen)}+${Math.round(s.ours)}`);
    const after = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: MATE, include_messages: false });
    assert.equal(after.resumed, true, JSON.stringify(after));
    paneId = after.pane_id;
    await settled(idles(), `trial ${i + 1}`);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  process.stdout.write(`  resume: SIGKILL → first model request, backoff subtracted: median ${median(figures)} ms `
    + `of ${JSON.stringify(figures)} (with backoff: ${JSON.stringify(raw)}; SIGKILL → exit seen + exit seen → `
    + `new process, backoff subtracted: ${steps.join(', ')})\n`);
}

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

  step('team_create, spawn_teammate (claude, restart on-failure)');
  await call(lead, 'team_create', { team_name: TEAM, description: 'resume after a crash' });
  const spawned = await call(lead, 'spawn_teammate', {
    team_name: TEAM, name: MATE, prompt: PROMPT, cwd: proj, backend_type: 'claude', restart: 'on-failure',
  });
  paneId = spawned.pane_id;

  const waitFor = async (pred, deadlineMs, what) => {
    const end = Date.now() + deadlineMs;
    while (!received.some(pred)) {
      const left = end - Date.now();
      assert.ok(left > 0, `no ${what} in the lead's inbox after ${deadlineMs / 1000} s`);
      const polled = await call(lead, 'poll_inbox', {
        team_name: TEAM, agent_name: 'team-lead', timeout_ms: Math.min(left, 10_000),
      });
      received.push(...polled.messages);
    }
    return received.find(pred);
  };
  step('the teammate answers its prompt (SendMessage), then goes idle');
  await waitFor((m) => m.from === MATE && m.text.includes(REPLY), REPLY_DEADLINE_MS, 'reply');
  await waitFor((m) => m.from === MATE && isIdle(m), IDLE_DEADLINE_MS, 'idle_notification');

  const before = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: MATE, include_messages: false });
  assert.equal(before.alive, true, JSON.stringify(before));
  assert.match(before.session_id ?? '', /^[0-9a-f-]{36}$/, `check_teammate has no session_id (the supervisor half of issue 13 is not merged?): ${JSON.stringify(before)}`);
  assert.equal(before.resumed, false, JSON.stringify(before));
  const cmdline = await execArgv(before.pid);
  assert.equal(cmdline[cmdline.indexOf('--session-id') + 1], before.session_id, `argv: ${cmdline.join(' ')}`);
  const transcript = join(root, 'projects', proj.replace(/[^a-zA-Z0-9]/g, '-'), `${before.session_id}.jsonl`);
  assert.ok(existsSync(transcript), `no transcript ${transcript}`);
  // Claude Code writes the turn's entries into the transcript after the
  // idle_notification (its stop hook runs meanwhile): a kill before that
  // loses them for good (the resumed conversation then holds only the
  // prompt), which no resume can bring back. Wait for the tool result.
  for (const end = Date.now() + IDLE_DEADLINE_MS; !readFileSync(transcript, 'utf8').includes('"tool_result"');) {
    assert.ok(Date.now() < end, `the transcript holds no tool result after ${IDLE_DEADLINE_MS / 1000} s:\n${readText(transcript, 4000)}`);
    await sleep(100);
  }
  const member = JSON.parse(readFileSync(join(root, 'teams', TEAM, 'config.json'), 'utf8')).members.find((m) => m.name === MATE);
  assert.equal(member.sessionId, before.session_id, `member record: ${JSON.stringify(member)}`);

  step('SIGKILL the teammate; the supervisor restarts it with --resume');
  const requestsBeforeKill = dumped().length;
  const idlesBeforeKill = idles();
  process.kill(before.pid, 'SIGKILL');
  let after;
  for (const end = Date.now() + RESTART_DEADLINE_MS; ;) {
    after = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: MATE, include_messages: false });
    if (after.alive && after.pid !== before.pid && after.restarts >= 1) break;
    assert.ok(Date.now() < end, `not restarted after ${RESTART_DEADLINE_MS / 1000} s: ${JSON.stringify(after)}`);
    await sleep(250);
  }
  paneId = after.pane_id;
  assert.equal(after.session_id, before.session_id, JSON.stringify(after));
  assert.equal(after.resumed, true, JSON.stringify(after));
  const cmdline2 = await execArgv(after.pid);
  assert.equal(cmdline2[cmdline2.indexOf('--resume') + 1], before.session_id, `argv: ${cmdline2.join(' ')}`);
  assert.ok(!cmdline2.includes('--session-id'), `a resumed start must not pass --session-id: ${cmdline2.join(' ')}`);

  step('the first model request after the restart carries the earlier turns');
  let first;
  for (const end = Date.now() + REPLY_DEADLINE_MS; ;) {
    first = dumped().slice(requestsBeforeKill).find((d) => d.path.endsWith('/messages'));
    if (first) break;
    assert.ok(Date.now() < end, 'no model request after the restart');
    await sleep(250);
  }
  const msgs = JSON.stringify(first.body.messages);
  assert.ok(msgs.includes(PROMPT.slice(0, 20)), `first request after the restart lacks the prompt:\n${conversation(first)}`);
  assert.ok(first.body.messages.some((m) => Array.isArray(m.content) && m.content.some((c) => c.type === 'tool_use' && c.name === 'SendMessage')),
    `first request after the restart lacks the earlier SendMessage call:\n${conversation(first)}`);
  assert.ok(first.body.messages.some((m) => Array.isArray(m.content) && m.content.some((c) => c.type === 'tool_result')),
    `first request after the restart lacks the earlier tool result:\n${conversation(first)}`);
  assert.ok(!msgs.includes('Your original assignment') && !msgs.includes('Your earlier conversation is gone'),
    `a resumed teammate got the fresh-start restart note:\n${conversation(first)}`);

  // The resumed teammate answers its restart note before anything else.
  await settled(idlesBeforeKill, 'after the first restart');

  step('SIGKILL the supervising server; a new one adopts the teammate, and resumes it after its next SIGKILL');
  process.kill(lead.transport.pid, 'SIGKILL');
  await lead.close().catch(() => {});
  lead = await connect(root, 'claude-code', serverEnv);
  let adopted;
  for (const end = Date.now() + RESTART_DEADLINE_MS; ;) {
    adopted = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: MATE, include_messages: false });
    if (adopted.alive && adopted.pid === after.pid) break;
    assert.ok(Date.now() < end, `the new server did not adopt the teammate: ${JSON.stringify(adopted)}`);
    await sleep(250);
  }
  assert.equal(adopted.session_id, before.session_id, JSON.stringify(adopted));
  const requestsBeforeKill2 = dumped().length;
  process.kill(adopted.pid, 'SIGKILL');
  let third;
  for (const end = Date.now() + RESTART_DEADLINE_MS; ;) {
    third = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: MATE, include_messages: false });
    if (third.alive && third.pid !== adopted.pid && third.restarts >= 2) break;
    assert.ok(Date.now() < end, `not restarted by the new server after ${RESTART_DEADLINE_MS / 1000} s: ${JSON.stringify(third)}`);
    await sleep(250);
  }
  paneId = third.pane_id;
  assert.equal(third.session_id, before.session_id, JSON.stringify(third));
  assert.equal(third.resumed, true, JSON.stringify(third));
  const cmdline3 = await execArgv(third.pid);
  assert.equal(cmdline3[cmdline3.indexOf('--resume') + 1], before.session_id, `argv: ${cmdline3.join(' ')}`);
  let firstAgain;
  for (const end = Date.now() + REPLY_DEADLINE_MS; ;) {
    firstAgain = dumped().slice(requestsBeforeKill2).find((d) => d.path.endsWith('/messages'));
    if (firstAgain) break;
    assert.ok(Date.now() < end, 'no model request after the new server\'s restart');
    await sleep(250);
  }
  assert.ok(JSON.stringify(firstAgain.body.messages).includes(PROMPT.slice(0, 20)),
    `first request after the new server's restart lacks the prompt:\n${conversation(firstAgain)}`);
  await settled(idles(), 'after the new server\'s restart');

  if (TRIALS > 0) await measure(third);

  step('restart_teammate fresh: a new conversation (--session-id, the first request has no earlier turns)');
  const requestsBeforeFresh = dumped().length;
  const fresh = await call(lead, 'restart_teammate', { team_name: TEAM, agent_name: MATE, fresh: true });
  paneId = fresh.pane_id;
  assert.equal(fresh.resumed, false, JSON.stringify(fresh));
  assert.match(fresh.session_id ?? '', /^[0-9a-f-]{36}$/, JSON.stringify(fresh));
  assert.notEqual(fresh.session_id, before.session_id, JSON.stringify(fresh));
  const cmdline4 = await execArgv(fresh.pid);
  assert.equal(cmdline4[cmdline4.indexOf('--session-id') + 1], fresh.session_id, `argv: ${cmdline4.join(' ')}`);
  assert.ok(!cmdline4.includes('--resume'), `a fresh start must not pass --resume: ${cmdline4.join(' ')}`);
  let firstFresh;
  for (const end = Date.now() + REPLY_DEADLINE_MS; ;) {
    firstFresh = dumped().slice(requestsBeforeFresh).find((d) => d.path.endsWith('/messages'));
    if (firstFresh) break;
    assert.ok(Date.now() < end, 'no model request after the fresh restart');
    await sleep(250);
  }
  assert.ok(!firstFresh.body.messages.some((m) => Array.isArray(m.content) && m.content.some((c) => c.type === 'tool_use')),
    `the first request of a fresh conversation carries earlier tool calls:\n${conversation(firstFresh)}`);
  assert.ok(JSON.stringify(firstFresh.body.messages).includes('Your original assignment'),
    `a fresh start lacks the full restart note:\n${conversation(firstFresh)}`);

  step('a teammate SIGKILLed before its first turn restarts fresh (no --resume, no "No conversation found" loop)');
  const early = await call(lead, 'spawn_teammate', {
    team_name: TEAM, name: EARLY, prompt: PROMPT, cwd: proj, backend_type: 'claude', restart: 'on-failure',
  });
  paneId = early.pane_id;
  const e1 = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: EARLY, include_messages: false });
  const earlyTranscript = join(root, 'projects', proj.replace(/[^a-zA-Z0-9]/g, '-'), `${e1.session_id}.jsonl`);
  assert.ok(!existsSync(earlyTranscript), `${EARLY} has a transcript already; cannot kill it before its first turn`);
  process.kill(e1.pid, 'SIGKILL');
  let e2;
  for (const end = Date.now() + RESTART_DEADLINE_MS; ;) {
    e2 = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: EARLY, include_messages: false });
    if (e2.alive && e2.pid !== e1.pid && e2.restarts >= 1) break;
    assert.ok(Date.now() < end, `${EARLY} not restarted after ${RESTART_DEADLINE_MS / 1000} s: ${JSON.stringify(e2)}`);
    await sleep(250);
  }
  paneId = e2.pane_id;
  assert.equal(e2.resumed, false, JSON.stringify(e2));
  assert.notEqual(e2.session_id, e1.session_id, JSON.stringify(e2));
  const cmdline5 = await execArgv(e2.pid);
  assert.equal(cmdline5[cmdline5.indexOf('--session-id') + 1], e2.session_id, `argv: ${cmdline5.join(' ')}`);
  assert.ok(!cmdline5.includes('--resume'), `argv: ${cmdline5.join(' ')}`);
  await waitFor((m) => m.from === EARLY && m.text.includes(REPLY), REPLY_DEADLINE_MS, `reply of ${EARLY} after its fresh restart`);
  const e3 = await call(lead, 'check_teammate', { team_name: TEAM, agent_name: EARLY, include_messages: false });
  assert.ok(e3.alive && e3.restarts === 1 && e3.pid === e2.pid, `${EARLY} restarted again: ${JSON.stringify(e3)}`);

  step('force_kill_teammate, team_delete');
  for (const name of [MATE, EARLY]) {
    const killed = await call(lead, 'force_kill_teammate', { team_name: TEAM, agent_name: name });
    assert.equal(killed.success, true, JSON.stringify(killed));
  }
  paneId = '';
  // The lead's session is not the one that created the team any more.
  const deleted = await call(lead, 'team_delete', { team_name: TEAM, force: true });
  assert.equal(deleted.success, true, JSON.stringify(deleted));
  await lead.close();
} catch (err) {
  failed = true;
  await diagnostics(err);
} finally {
  await finish(failed);
}
process.exit(failed ? 1 : 0);
