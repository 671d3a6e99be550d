// Helpers for the scenarios that run real agent CLIs against the scripted
// mock model (../shared/tools/mockllm): scratch directory, free ports, one
// mock per provider, a private tmux server, waiting for mail, diagnostics.
// Every scenario gets its own port(s) and tmux socket, so they run side by
// side. Nothing here asserts on timing: deadlines only bound a wait.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { assert, call, step } from './lib.mjs';

export const inCI = !!process.env.CI && process.env.CI !== 'false';
export const repoRoot = process.env.REPO_ROOT ?? resolve(dirname(new URL(import.meta.url).pathname), '../..');
export const mockPath = resolve(repoRoot, '..', 'shared', 'tools', 'mockllm', 'mockllm.py');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// execArgv returns the argv of process pid once it runs its own program.
// A pane's process is a fork of the tmux server until it execs, and its
// /proc/<pid>/cmdline (and environ) are the server's till then; a tool
// answers with the pane's pid as soon as the pane exists.
export async function execArgv(pid, deadlineMs = 10_000) {
  for (const end = Date.now() + deadlineMs; ;) {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (basename(argv[0]) !== 'tmux' || Date.now() > end) return argv;
    await sleep(50);
  }
}

// Scenario is one run: its scratch directory, mocks, tmux socket and the
// things to stop at exit.
export class Scenario {
  constructor(name) {
    this.name = name;
    this.work = '';
    this.mocks = [];
    this.clients = [];
    this.stopped = false;
    process.on('exit', () => this.stopAll());
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(1));
  }

  // skip ends the scenario as skipped outside CI and failed under CI.
  unavailable(why) {
    if (this.work) rmSync(this.work, { recursive: true, force: true });
    if (inCI) {
      process.stderr.write(`${this.name}: ${why} (required under CI)\n`);
      process.exit(1);
    }
    process.stdout.write(`  - skipped: ${why}\n`);
    process.exit(77);
  }

  // need checks programs on PATH, the mock and the named *_BIN variables,
  // and makes the scratch directory (short: it is TMUX_TMPDIR too).
  need(cmds, bins) {
    for (const cmd of cmds) {
      if (spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status !== 0) {
        this.unavailable(`${cmd} is not installed`);
      }
    }
    if (!existsSync(mockPath)) this.unavailable(`the mock model is missing: ${mockPath}`);
    const out = {};
    for (const b of bins) {
      const v = process.env[b];
      if (!v || !existsSync(v)) this.unavailable(`${b} is not set to an agent CLI (see .ci/run)`);
      out[b] = v;
    }
    this.work = realpathSync(mkdtempSync('/tmp/cte-'));
    this.socket = `ct-e2e-${process.pid}`;
    return out;
  }

  // mock starts one mock model on a free port with the given MOCK_* script;
  // its request log and dump are under work/<label>.
  async mock(label, env) {
    const port = await freePort();
    const log = join(this.work, `mock-${label}.jsonl`);
    const dump = join(this.work, `mock-${label}-dump.jsonl`);
    const child = spawn('python3', [patchedMock(this.work), String(port)], {
      env: { ...process.env, MOCK_LOG: log, MOCK_DUMP: dump, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const m = { label, port, log, dump, child, url: `http://127.0.0.1:${port}` };
    this.mocks.push(m);
    await waitListening(port, child, 15_000);
    step(`mock model for ${label} on 127.0.0.1:${port}`);
    return m;
  }

  tmux(...args) {
    return spawnSync('tmux', ['-L', this.socket, ...args], {
      encoding: 'utf8', timeout: 10_000, env: { ...process.env, TMUX_TMPDIR: this.work, TMUX: '' },
    });
  }

  // panes lists the panes of the private tmux server ([] when it is gone).
  panes() {
    const r = this.tmux('list-panes', '-a', '-F', '#{pane_id} #{pane_pid} #{pane_dead} #{@claude-teams-agent}');
    if (r.status !== 0) {
      assert.match(r.stderr, /no server running|error connecting|No such file|no current target|server exited|lost server/,
        `tmux list-panes: ${r.stderr}`);
      return [];
    }
    return r.stdout.split('\n').filter(Boolean);
  }

  screen(paneId) {
    const r = this.tmux('capture-pane', '-p', '-J', '-S', '-60', '-t', paneId);
    return r.status === 0 ? r.stdout.split('\n').map((l) => l.trimEnd()).join('\n').trimEnd() : r.stderr;
  }

  stopAll() {
    if (this.stopped) return;
    this.stopped = true;
    for (const c of this.clients) {
      const pid = c?.transport?.pid;
      if (pid) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
    for (const m of this.mocks) m.child.kill();
    if (!this.socket) return;
    // Some CLIs (Gemini CLI) ignore the SIGHUP of kill-server: kill each
    // pane's process group first.
    try {
      for (const line of this.panes()) {
        const pid = Number(line.split(' ')[1]);
        if (pid > 1) {
          try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
        }
      }
    } catch { /* no server */ }
    this.tmux('kill-server');
  }

  // finish prints diagnostics on failure and removes the scratch
  // directory unless the run failed or E2E_KEEP is set.
  finish(failed) {
    this.stopAll();
    if (failed || process.env.E2E_KEEP) {
      process.stderr.write(`work directory kept: ${this.work}\n`);
    } else if (this.work) {
      rmSync(this.work, { recursive: true, force: true });
    }
    process.exit(failed ? 1 : 0);
  }
}

// patchedMock returns the mock model with one fix: every Anthropic tool_use
// gets its own id (the shared mock answers "toolu_mock_1" each time, and
// Claude Code keeps only one of several tool results with the same id, so
// a script of more than one call never got past its second step).
function patchedMock(work) {
  const path = join(work, 'mockllm.py');
  if (!existsSync(path)) {
    const src = readFileSync(mockPath, 'utf8');
    const fixed = src.replace('"id": "toolu_mock_1", "name": target', '"id": "toolu_mock_%d" % nres, "name": target');
    writeFileSync(path, fixed);
  }
  return path;
}

export async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

export async function waitListening(port, child, deadlineMs) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mock model exited with ${child.exitCode}`);
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`mock model not listening on ${port} after ${deadlineMs} ms`);
    await sleep(100);
  }
}

export function readText(path, max = 8000) {
  try {
    const s = readFileSync(path, 'utf8');
    return s.length > max ? `…(${s.length - max} bytes cut)…\n${s.slice(-max)}` : s;
  } catch (err) {
    return `(unreadable: ${err.code ?? err.message})`;
  }
}

// jsonLines reads a JSON-lines file ([] when absent).
export function jsonLines(path) {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// requestsWith returns the model requests in a mock's dump whose body holds text.
export function requestsWith(mock, text) {
  return jsonLines(mock.dump).filter((d) => JSON.stringify(d.body).includes(text));
}

// Mailbox collects what poll_inbox returns to one reader.
export class Mailbox {
  constructor(client, team, agent = 'team-lead') {
    Object.assign(this, { client, team, agent, received: [] });
  }

  // waitFor polls until a received message satisfies pred; onTimeout runs
  // after every poll that timed out (to check that teammates still live).
  async waitFor(pred, deadlineMs, what, onTimeout) {
    const end = Date.now() + deadlineMs;
    for (;;) {
      const hit = this.received.find(pred);
      if (hit) return hit;
      const left = end - Date.now();
      assert.ok(left > 0, `no ${what} in ${this.agent}'s inbox after ${deadlineMs / 1000} s`);
      const polled = await call(this.client, 'poll_inbox', {
        team_name: this.team, agent_name: this.agent, timeout_ms: Math.min(left, 10_000),
      });
      this.received.push(...polled.messages);
      if (polled.timed_out && onTimeout) await onTimeout();
    }
  }
}

// dumpDiagnostics prints what helps explain a failure.
export async function dumpDiagnostics(sc, err, { lead, team, root, mates = [], serverLog, mailbox }) {
  const out = (title, body) => process.stderr.write(`\n----- ${title}\n${body}\n`);
  out('failure', err?.stack ?? String(err));
  if (mailbox) out('messages received by the lead', JSON.stringify(mailbox.received, null, 2));
  for (const m of mates) {
    if (lead) {
      try {
        const res = await lead.callTool({
          name: 'check_teammate', arguments: { team_name: team, agent_name: m.name, include_output: true, output_lines: 60 },
        });
        out(`check_teammate ${m.name}`, res.content?.[0]?.text ?? '');
      } catch (e) {
        out(`check_teammate ${m.name}`, `failed: ${e.message}`);
      }
    }
    if (m.paneId) out(`pane ${m.paneId} (${m.name}) screen`, sc.screen(m.paneId));
  }
  try {
    out('tmux panes', sc.panes().join('\n') || '(none)');
  } catch (e) {
    out('tmux panes', e.message);
  }
  for (const m of sc.mocks) out(`mock log ${m.label}`, readText(m.log, 4000));
  if (root && team) {
    const inboxes = join(root, 'teams', team, 'inboxes');
    if (existsSync(inboxes)) {
      for (const f of readdirSync(inboxes)) out(`inbox ${f}`, readText(join(inboxes, f), 4000));
    }
    out('team config', readText(join(root, 'teams', team, 'config.json')));
  }
  if (serverLog) out('server log', readText(serverLog, 12000));
  if (lead) out('server stderr (tail)', lead.stderrText().slice(-3000));
}

// median of a list of numbers.
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
