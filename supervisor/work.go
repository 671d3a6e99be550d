package supervisor

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
	"github.com/f9449b24/claude-teams/protocol/dirwatch"
	"github.com/f9449b24/claude-teams/supervisor/policy"
)

// The work watcher keeps the owner loop informed of what health needs from
// the team's files: each teammate's unread messages (count, oldest), the
// tasks it has in progress, and the idle_notifications native teammates
// send to the lead. It reads them in its own goroutine when the inbox or
// task directory changes (inotify where available, a slow poll elsewhere;
// changes are debounced) and reports a workUpdate; the loop never reads
// those files itself. After a change it re-reads only the files that
// changed (the supervisor's own notes to the lead's inbox cost one read
// of that inbox, not of every file of the team).

// workFacts is what the work watcher last read. Owned by run once
// delivered.
type workFacts struct {
	unread map[string]int       // unread messages per teammate
	oldest map[string]time.Time // oldest unread message per teammate
	tasks  map[string][]string  // tasks in progress per teammate ("#3 Write the parser")
	idle   map[string]time.Time // latest idle_notification per teammate
	// refused is the auto-mode refusal in the result of that latest
	// idle_notification ("" = none; policy.AutoModeRefusal).
	refused map[string]string
	// forged: per keyed teammate whose inbox was read (leadguard.go).
	forged map[string][]protocol.Message
	// members are the teammates the facts were read for.
	members []protocol.Member
}

// clone is a copy of f that shares no map with it.
func (f workFacts) clone() workFacts {
	return workFacts{
		unread: maps.Clone(f.unread), oldest: maps.Clone(f.oldest),
		tasks: maps.Clone(f.tasks), idle: maps.Clone(f.idle), refused: maps.Clone(f.refused),
		members: f.members, forged: f.forged, // forged is never changed once read
	}
}

func newWorkFacts() workFacts {
	return workFacts{unread: map[string]int{}, oldest: map[string]time.Time{}, tasks: map[string][]string{}, idle: map[string]time.Time{}, refused: map[string]string{}}
}

// workUpdate delivers fresh facts to the loop.
type workUpdate struct{ facts workFacts }

func (*workUpdate) isRequest() {}

// onWorkUpdate takes new facts and re-evaluates the health of every
// teammate whose facts changed.
func (t *team) onWorkUpdate(r *workUpdate) {
	old := t.work
	f := r.facts
	// An idle notification is never forgotten because the lead read it
	// (read messages leave the inbox): keep the latest seen.
	for name, at := range old.idle {
		if at.After(f.idle[name]) {
			f.idle[name], f.refused[name] = at, old.refused[name]
		}
	}
	t.work = f
	t.onForged(f.forged)
	now := t.now()
	for name, m := range t.mates {
		if m.health == nil {
			continue
		}
		if old.unread[name] != f.unread[name] || !old.oldest[name].Equal(f.oldest[name]) ||
			len(old.tasks[name]) != len(f.tasks[name]) || !old.idle[name].Equal(f.idle[name]) ||
			old.refused[name] != f.refused[name] {
			m.checkAt = now
		}
	}
}

// startWorkWatch starts the work watcher; it ends with ctx. The
// directories are made and watched here, in the owner loop, so that no
// goroutine can recreate them after a teardown removed the team.
func (t *team) startWorkWatch(ctx context.Context) {
	ctx, t.stopWork = context.WithCancel(ctx)
	dirs := []string{t.store.InboxDir(t.name), t.store.TasksDir(t.name)}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.log.Debug("work watcher: directory", zap.String("dir", d), zap.Error(err))
		}
	}
	w, err := dirwatch.New(dirs, dirwatch.Ordinary)
	if err != nil {
		t.log.Info("work watcher polls (no change notification)", zap.Error(err),
			zap.Duration("every", t.cfg.WorkPoll))
		w = nil
	}
	t.goHelper(func() { t.workLoop(ctx, w) })
}

// workLoop reads the work facts at start and after every (debounced)
// change, or every WorkPoll without change notification.
func (t *team) workLoop(ctx context.Context, w *dirwatch.Watch) {
	var changes <-chan struct{}
	if w != nil {
		defer w.Close()
		changes = w.C
	}
	var last workFacts
	deliver := func() bool {
		var files map[string]bool
		all := last.unread == nil || w == nil
		if !all {
			files, all = w.Take()
		}
		if all {
			last = t.readWork()
		} else {
			last = t.rereadWork(last, files)
		}
		select {
		case t.reqs <- &workUpdate{facts: last.clone()}:
			return true
		case <-t.quit:
			return false
		case <-ctx.Done():
			return false
		}
	}
	if !deliver() {
		return
	}
	var poll <-chan time.Time
	if changes == nil {
		tk := time.NewTicker(t.cfg.WorkPoll)
		defer tk.Stop()
		poll = tk.C
	}
	var debounce *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				// The watch broke (the directory went away): poll.
				changes, w = nil, nil
				tk := time.NewTicker(t.cfg.WorkPoll)
				defer tk.Stop()
				poll = tk.C
				continue
			}
			if fire == nil {
				debounce = time.NewTimer(t.cfg.WorkDebounce)
				fire = debounce.C
			}
		case <-fire:
			fire = nil
			if !deliver() {
				return
			}
		case <-poll:
			if !deliver() {
				return
			}
		}
	}
}

// readWork reads the facts from the team's files. Errors leave a fact out:
// a missing inbox has no unread message.
func (t *team) readWork() workFacts {
	f := newWorkFacts()
	cfg, err := t.store.ReadConfig(t.name)
	if err != nil {
		return f
	}
	f.members = teammatesOf(cfg)
	for _, mem := range f.members {
		t.readUnread(&f, mem.Name)
	}
	t.readTasks(&f)
	t.readIdle(&f)
	f.forged = t.readForged(f.members, true)
	return f
}

// rereadWork is prev with the facts of the changed files (full paths) read
// again: a teammate's inbox, the lead's inbox, the task directory. When the
// teammates changed, everything is read.
func (t *team) rereadWork(prev workFacts, files map[string]bool) workFacts {
	if len(files) == 0 {
		return prev
	}
	cfg, err := t.store.ReadConfig(t.name)
	if err != nil {
		return prev
	}
	members := teammatesOf(cfg)
	if !slices.EqualFunc(members, prev.members, func(a, b protocol.Member) bool {
		return a.Name == b.Name && a.AgentID == b.AgentID
	}) {
		return t.readWork()
	}
	f := prev.clone()
	f.forged = nil // news of one read only: not carried over
	tasksDir := t.store.TasksDir(t.name)
	var tasks bool
	for path := range files {
		if filepath.Dir(path) == tasksDir {
			tasks = true
		}
	}
	var changed []protocol.Member
	for _, mem := range members {
		if files[t.store.InboxPath(t.name, mem.Name)] {
			t.readUnread(&f, mem.Name)
			changed = append(changed, mem)
		}
	}
	if len(changed) > 0 {
		// Only the inboxes that changed: a message to one teammate costs
		// one guard read, not one per keyed teammate.
		f.forged = t.readForged(changed, false)
	}
	if tasks {
		f.tasks = map[string][]string{}
		t.readTasks(&f)
	}
	if files[t.store.InboxPath(t.name, protocol.LeadName)] {
		t.readIdle(&f)
	}
	return f
}

// teammatesOf lists cfg's members but the lead.
func teammatesOf(cfg protocol.TeamConfig) []protocol.Member {
	var out []protocol.Member
	for _, mem := range cfg.Members {
		if mem.Name != protocol.LeadName {
			out = append(out, mem)
		}
	}
	return out
}

// readUnread reads teammate name's unread messages into f.
func (t *team) readUnread(f *workFacts, name string) {
	n, oldest, err := t.store.Unread(t.name, name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.log.Debug("work watcher: inbox", zap.String("agent", name), zap.Error(err))
	}
	f.unread[name], f.oldest[name] = n, oldest
}

// readTasks reads the tasks each teammate has in progress into f.
func (t *team) readTasks(f *workFacts) {
	tasks, err := t.store.ReadTasks(t.name)
	if err != nil {
		return
	}
	for _, task := range tasks {
		if task.Status != protocol.StatusInProgress {
			continue
		}
		for _, mem := range f.members {
			if mem.OwnsTask(task) {
				f.tasks[mem.Name] = append(f.tasks[mem.Name], "#"+task.ID+" "+task.Subject)
			}
		}
	}
}

// readIdle reads the idle notifications in the lead's live inbox into f
// (read messages move to its history, and the loop keeps the latest
// notification it saw).
func (t *team) readIdle(f *workFacts) {
	data, err := os.ReadFile(t.store.InboxPath(t.name, protocol.LeadName))
	if err != nil {
		return
	}
	msgs, _ := protocol.DecodeInbox(data)
	for _, msg := range msgs {
		typ, v, ok := protocol.Decode(msg.Text)
		if !ok || typ != protocol.TypeIdleNotification {
			continue
		}
		from := msg.From
		n, _ := v.(protocol.IdleNotification)
		if n.From != "" {
			from = n.From
		}
		i := slices.IndexFunc(f.members, func(m protocol.Member) bool { return m.Owns(from) })
		if i < 0 {
			continue
		}
		name := f.members[i].Name
		at, err := protocol.ParseTimestamp(msg.Timestamp)
		if err == nil && at.After(f.idle[name]) {
			f.idle[name] = at
			f.refused[name], _ = policy.AutoModeRefusal(n.Result)
		}
	}
}
