// Helpers for the scenarios that run one real Claude Code teammate against
// the scripted mock model (claude-teammate, claude-resume, claude332-signed):
// the setup, the mock, the server's environment, the end and the dump on
// failure they share.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { assert, step } from './lib.mjs';
import { inCI, jsonLines, mockPath, readText, repoRoot, waitListening } from './lib-team.mjs';

// claudeMate is the setup of the scenarios that run one real Claude Code
// teammate against the mock model (claude-teammate, claude-resume): the
// skip checks, scratch directory (root, proj), private tmux server, the
// pinned claude binary, the mock's dump, stopping at exit and the dump on
// failure. live() returns the scenario's { lead, mock, paneId, received };
// need(unavailable), when given, checks what else the scenario requires
// before the scratch directory is made.
export function claudeMate({
  name, tmpPrefix, socketPrefix, version, team, mate, prompt, need,
  mockHint = ' (shared/ must sit beside the clone)',
}, live) {
  const h = { work: '' };
  // unavailable skips outside CI and fails under CI.
  h.unavailable = (why) => {
    if (h.work) rmSync(h.work, { recursive: true, force: true });
    if (inCI) {
      process.stderr.write(`${name}: ${why} (required under CI)\n`);
      process.exit(1);
    }
    process.stdout.write(`  - skipped: ${why}\n`);
    process.exit(77);
  };
  h.have = (cmd) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
  for (const cmd of ['tmux', 'python3']) {
    if (!h.have(cmd)) h.unavailable(`${cmd} is not installed`);
  }
  if (!existsSync(mockPath)) {
    h.unavailable(`the mock model is missing: ${mockPath}${mockHint}`);
  }
  need?.(h.unavailable);
  const work = realpathSync(mkdtempSync(`/tmp/${tmpPrefix}-`)); // short: it is TMUX_TMPDIR too
  h.work = work;
  const root = join(work, 'root'); // HOME and CLAUDE_CONFIG_DIR: teams, inboxes, .claude.json
  const proj = join(work, 'proj'); // the teammate's working directory
  mkdirSync(root);
  mkdirSync(proj);
  const socket = `${socketPrefix}-${process.pid}`;
  const mockLog = join(work, 'mock.jsonl');
  const mockDump = join(work, 'mock-dump.jsonl');
  const serverLog = join(work, 'server.log');
  Object.assign(h, { root, proj, socket, mockLog, mockDump, serverLog });

  // claudeBinary returns a claude executable of the pinned version, installing
  // it with npm into $E2E_CACHE/npm-claude when needed.
  h.claudeBinary = () => {
    const ver = (bin) => {
      const r = spawnSync(bin, ['--version'], {
        encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: root, DISABLE_AUTOUPDATER: '1' },
      });
      return r.status === 0 ? r.stdout.trim() : '';
    };
    if (process.env.CLAUDE_BIN) {
      const v = ver(process.env.CLAUDE_BIN);
      if (!v) throw new Error(`CLAUDE_BIN=${process.env.CLAUDE_BIN} does not run`);
      return { bin: process.env.CLAUDE_BIN, version: v };
    }
    const dir = join(process.env.E2E_CACHE ?? join(repoRoot, '.cache'), 'npm-claude');
    const bin = join(dir, 'node_modules', '.bin', 'claude');
    let v = existsSync(bin) ? ver(bin) : '';
    if (!v.startsWith(version + ' ')) {
      if (!h.have('npm')) h.unavailable('npm is not installed (needed to install Claude Code)');
      step(`installing @anthropic-ai/claude-code@${version} into ${dir}`);
      mkdirSync(dir, { recursive: true });
      execFileSync('npm', ['install', '--prefix', dir, `@anthropic-ai/claude-code@${version}`, '--save-exact',
        '--no-audit', '--no-fund', '--loglevel=error'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
      v = ver(bin);
    }
    assert.ok(v.startsWith(version + ' '), `${bin} --version says ${JSON.stringify(v)}, want ${version}`);
    return { bin, version: v };
  };

  h.tmux = (...args) => spawnSync('tmux', ['-L', socket, ...args], {
    encoding: 'utf8', timeout: 10_000, env: { ...process.env, TMUX_TMPDIR: work, TMUX: '' },
  });

  // panes lists the panes of our private tmux server ([] when it is gone).
  h.panes = () => {
    const r = h.tmux('list-panes', '-a', '-F', '#{pane_id} #{pane_dead} #{@claude-teams-agent}');
    if (r.status !== 0) {
      // Gone, or going: the last session was killed and the server is exiting.
      assert.match(r.stderr, /no server running|error connecting|No such file|no current target|server exited|lost server/,
        `tmux list-panes: ${r.stderr}`);
      return [];
    }
    return r.stdout.split('\n').filter(Boolean);
  };

  // dumped returns the model requests the mock received (whole bodies).
  h.dumped = () => jsonLines(mockDump);

  // promptRequests are the model requests that carry the prompt.
  h.promptRequests = () => h.dumped().filter((d) => d.path.endsWith('/messages')
    && JSON.stringify(d.body.messages ?? []).includes(prompt));

  // trustClaude answers Claude Code's first-run, API-key and folder-trust
  // dialogs in advance (they would wait for a key press):
  // CLAUDE_CONFIG_DIR=root makes it read root/.claude.json.
  h.trustClaude = (apiKey) => writeFileSync(join(root, '.claude.json'), JSON.stringify({
    hasCompletedOnboarding: true,
    theme: 'dark',
    customApiKeyResponses: { approved: [apiKey], rejected: [] },
    projects: { [proj]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
  }, null, 2));

  // startMock (re)starts the mock model on port with env added to its
  // environment, and returns it once it listens (the one before is
  // stopped first).
  let mockChild;
  h.startMock = async (port, env) => {
    mockChild?.kill();
    if (mockChild) await new Promise((r) => (mockChild.exitCode !== null ? r() : mockChild.once('exit', r)));
    mockChild = spawn('python3', [mockPath, String(port)], {
      env: { ...process.env, MOCK_LOG: mockLog, MOCK_DUMP: mockDump, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await waitListening(port, mockChild, 15_000);
    return mockChild;
  };

  // claudeEnv is the claude-teams server's environment, all the teammate
  // gets: backends pass the provider variables and switches on to the pane
  // explicitly. path goes before $PATH.
  h.claudeEnv = (path, port, apiKey) => ({
    PATH: `${path}:${process.env.PATH}`,
    TMUX_TMPDIR: work,
    XDG_RUNTIME_DIR: work, // the supervisor's status socket
    CLAUDE_TEAMS_TMUX_SOCKET: socket,
    CLAUDE_TEAMS_BACKENDS: 'claude',
    CLAUDE_TEAMS_LOG_FILE: serverLog,
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}`,
    ANTHROPIC_API_KEY: apiKey,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    ENABLE_TOOL_SEARCH: 'false',
  });

  // stopAll ends what this scenario started (the mock model, the private tmux
  // server with any teammate left in it), also when node exits early: an
  // uncaught error, a closed stdout, a signal. The claude-teams server goes
  // first, so that it cannot start a tmux server after ours was killed.
  let stopped = false;
  const stopAll = () => {
    if (stopped) return;
    stopped = true;
    const { lead, mock } = live();
    const pid = lead?.transport?.pid;
    if (pid) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    mock?.kill();
    mockChild?.kill();
    h.tmux('kill-server');
  };
  h.stopAll = stopAll;

  // finish closes the lead, stops all and removes the scratch directory,
  // which is kept when the scenario failed or E2E_KEEP is set.
  h.finish = async (failed) => {
    await live().lead?.close().catch(() => {});
    stopAll();
    if (failed || process.env.E2E_KEEP) {
      process.stderr.write(`work directory kept: ${work}\n`);
    } else {
      rmSync(work, { recursive: true, force: true });
    }
  };
  process.on('exit', stopAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(1));

  h.diagnostics = async (err) => {
    const { lead, paneId, received } = live();
    const out = (title, body) => process.stderr.write(`\n----- ${title}\n${body}\n`);
    out('failure', err?.stack ?? String(err));
    out('messages received by the lead', JSON.stringify(received, null, 2));
    if (lead) {
      try {
        const res = await lead.callTool({
          name: 'check_teammate', arguments: { team_name: team, agent_name: mate, include_output: true, output_lines: 60 },
        });
        out('check_teammate', res.content?.[0]?.text ?? '');
      } catch (e) {
        out('check_teammate', `failed: ${e.message}`);
      }
    }
    try {
      out('tmux panes', h.panes().join('\n') || '(none)');
    } catch (e) {
      out('tmux panes', e.message);
    }
    if (paneId) {
      const r = h.tmux('capture-pane', '-p', '-J', '-S', '-80', '-t', paneId);
      out(`pane ${paneId} screen`, r.status === 0 ? r.stdout.split('\n').map((l) => l.trimEnd()).join('\n').trimEnd() : r.stderr);
    }
    out('mock log', readText(mockLog));
    try {
      out('model requests (mock dump, messages only)', h.dumped().map((d) => conversation(d)).join('\n') || '(none)');
    } catch (e) {
      out('model requests', `unreadable: ${e.message}`);
    }
    const inboxes = join(root, 'teams', team, 'inboxes');
    if (existsSync(inboxes)) {
      for (const f of readdirSync(inboxes)) out(`inbox ${f}`, readText(join(inboxes, f)));
    }
    out('team config', readText(join(root, 'teams', team, 'config.json')));
    out('server log', readText(serverLog, 16000));
    if (lead) out('server stderr (tail)', lead.stderrText().slice(-4000));
  };
  return h;
}

// conversation sums a dumped request up: its path and the text of its
// messages (system prompt and tool definitions left out), each cut at max.
export function conversation(d, max = 600) {
  const parts = (d.body.messages ?? []).map((m) => {
    const content = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content ?? [];
    const text = content.map((c) => (c.type === 'text' ? c.text : `[${c.type} ${JSON.stringify(c.input ?? c.content ?? '')}]`));
    return `  ${m.role}: ${text.join(' | ').replace(/\s+/g, ' ').slice(0, max)}`;
  });
  return [`${d.path} model=${d.body.model ?? ''}`, ...parts].join('\n');
}

// isIdle says whether an inbox message is an idle_notification.
export const isIdle = (m) => {
  try { return JSON.parse(m.text).type === 'idle_notification'; } catch { return false; }
};
