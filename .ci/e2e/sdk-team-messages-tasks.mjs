// A lead and a teammate, each with its own claude-teams process, create a
// team, exchange messages both ways and work through tasks, all through the
// official TypeScript MCP SDK over stdio.
import { assert, addMember, call, connect, refused, removeMember, step, tempRoot } from './lib.mjs';

const root = tempRoot();
const team = 'e2e';
const reminder = (from) =>
  `\n\n<system_reminder>This message was sent from ${from}. Use your send_message tool to respond.</system_reminder>`;

const lead = await connect(root, 'claude-code');
try {
  step('tools are listed with annotations and output schemas');
  const { tools } = await lead.listTools();
  const names = tools.map((t) => t.name);
  for (const want of ['team_create', 'team_delete', 'send_message', 'read_inbox', 'poll_inbox', 'read_config',
    'task_create', 'task_update', 'task_list', 'task_get']) {
    assert.ok(names.includes(want), `tool ${want} missing from ${names}`);
  }
  for (const t of tools) {
    assert.equal(typeof t.annotations?.readOnlyHint, 'boolean', `${t.name} readOnlyHint`);
    assert.equal(typeof t.annotations?.destructiveHint, 'boolean', `${t.name} destructiveHint`);
    assert.equal(t.annotations?.openWorldHint, false, `${t.name} openWorldHint`);
    assert.ok(t.outputSchema, `${t.name} outputSchema`);
  }

  step('team_create');
  const created = await call(lead, 'team_create', { team_name: team, description: 'end to end' });
  assert.equal(created.lead_agent_id, `team-lead@${team}`);
  await refused(lead, 'team_create', { team_name: 'Not Valid' }, /"Not Valid"/);
  await refused(lead, 'team_create', { team_name: 'second' }, /one team per session/);
  addMember(root, team, 'worker');

  const cfg = await call(lead, 'read_config', { team_name: team });
  assert.deepEqual(cfg.members.map((m) => m.name), ['team-lead', 'worker']);
  assert.ok(cfg.members.every((m) => !('prompt' in m)), 'read_config shows prompts');

  const worker = await connect(root, 'codex-mcp-client');
  try {
    step('lead -> worker message');
    const sent = await call(lead, 'send_message', {
      team_name: team, type: 'message', recipient: 'worker', content: 'please run the tests', summary: 'run tests',
    });
    assert.equal(sent.success, true);
    assert.equal(sent.routing.target, 'worker');

    const inbox = await call(worker, 'read_inbox', { team_name: team, agent_name: 'worker' });
    assert.equal(inbox.length, 1);
    assert.equal(inbox[0].from, 'team-lead');
    assert.equal(inbox[0].text, 'please run the tests' + reminder('team-lead'));
    assert.equal((await call(worker, 'read_inbox', { team_name: team, agent_name: 'worker' })).length, 0);

    step('worker -> lead message, received by poll_inbox');
    await refused(worker, 'send_message', {
      team_name: team, type: 'message', sender: 'worker', recipient: 'worker', content: 'x', summary: 'x',
    }, /yourself/);
    const waiting = call(lead, 'poll_inbox', { team_name: team, agent_name: 'team-lead', timeout_ms: 60000 });
    await call(worker, 'send_message', {
      team_name: team, type: 'message', sender: 'worker', recipient: 'team-lead', content: 'tests pass', summary: 'done',
    });
    const polled = await waiting;
    assert.equal(polled.timed_out, false);
    assert.equal(polled.messages.length, 1);
    assert.equal(polled.messages[0].from, 'worker');
    assert.equal(polled.messages[0].text, 'tests pass' + reminder('worker'));

    step('tasks: create, depend, assign, progress');
    const t1 = await call(lead, 'task_create', { team_name: team, subject: 'write code', description: 'the feature' });
    const t2 = await call(lead, 'task_create', { team_name: team, subject: 'ship', description: 'release it' });
    assert.deepEqual([t1, t2], [{ id: '1', status: 'pending' }, { id: '2', status: 'pending' }]);
    await call(lead, 'task_update', { team_name: team, task_id: '2', add_blocked_by: ['1'] });
    await call(lead, 'task_update', { team_name: team, task_id: '1', owner: 'worker' });

    const assigned = await call(worker, 'read_inbox', { team_name: team, agent_name: 'worker' });
    assert.equal(assigned.length, 1);
    const frame = JSON.parse(assigned[0].text);
    assert.equal(frame.type, 'task_assignment');
    assert.equal(frame.taskId, '1');
    assert.equal(frame.subject, 'write code');

    await refused(worker, 'task_update', { team_name: team, task_id: '2', status: 'in_progress' }, /block/);
    await call(worker, 'task_update', { team_name: team, task_id: '1', status: 'in_progress' });
    await refused(worker, 'task_update', { team_name: team, task_id: '1', status: 'pending' }, /pending/);
    await call(worker, 'task_update', {
      team_name: team, task_id: '1', status: 'completed', metadata: { pr: 42 },
    });
    await call(worker, 'task_update', { team_name: team, task_id: '2', status: 'in_progress' });

    const list = await call(lead, 'task_list', { team_name: team });
    assert.deepEqual(list.map((t) => [t.id, t.status]), [['1', 'completed'], ['2', 'in_progress']]);
    const one = await call(lead, 'task_get', { team_name: team, task_id: '1' });
    assert.equal(one.owner, 'worker');
    assert.deepEqual(one.metadata, { pr: 42 });
    await refused(lead, 'task_get', { team_name: team, task_id: '99' }, /"99"/);
  } finally {
    await worker.close();
  }

  step('team_delete');
  await refused(lead, 'team_delete', { team_name: team }, /worker/);
  removeMember(root, team, 'worker');
  const deleted = await call(lead, 'team_delete', { team_name: team });
  assert.equal(deleted.success, true);
} catch (err) {
  process.stderr.write(`lead server stderr:\n${lead.stderrText()}\n`);
  throw err;
} finally {
  await lead.close();
}
