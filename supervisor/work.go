package supervisor

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/f9449b24/claude-teams/protocol"
)

// The work watcher keeps the owner loop informed of what health needs from
// the team's files: each teammate's unread messages (count, oldest), the
// tasks it has in progress, and the idle_notifications native teammates
// send to the lead. It reads them in its own goroutine when the inbox or
// task directory changes (inotify where available, a slow poll elsewhere;
// changes are debounced) and reports a workUpdate; the loop never reads
// those files itself.

// workFacts is what the work watcher last read. Owned by run once
// delivered.
type workFacts struct {
	unread map[string]int       // unread messages per teammate
	oldest map[string]time.Time // oldest unread message per teammate
	tasks  map[string][]string  // tasks in progress per teammate ("#3 Write the parser")
	idle   map[string]time.Time // latest idle_notification per teammate
}

func newWorkFacts() workFacts {
	return workFacts{unread: map[string]int{}, oldest: map[string]time.Time{}, tasks: map[string][]string{}, idle: map[string]time.Time{}}
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
			f.idle[name] = at
		}
	}
	t.work = f
	now := t.now()
	for name, m := range t.mates {
		if m.health == nil {
			continue
		}
		if old.unread[name] != f.unread[name] || !old.oldest[name].Equal(f.oldest[name]) ||
			len(old.tasks[name]) != len(f.tasks[name]) || !old.idle[name].Equal(f.idle[name]) {
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
	changes, closeWatch, err := watchDirs(dirs)
	if err != nil {
		t.log.Info("work watcher polls (no change notification)", zap.Error(err),
			zap.Duration("every", t.cfg.WorkPoll))
		closeWatch = func() {}
	}
	t.goHelper(func() { t.workLoop(ctx, changes, closeWatch) })
}

// workLoop reads the work facts at start and after every (debounced)
// change, or every WorkPoll without change notification.
func (t *team) workLoop(ctx context.Context, changes <-chan struct{}, closeWatch func()) {
	defer closeWatch()
	deliver := func() bool {
		select {
		case t.reqs <- &workUpdate{facts: t.readWork()}:
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
				changes = nil
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
	var members []protocol.Member
	for _, mem := range cfg.Members {
		if mem.Name == protocol.LeadName {
			continue
		}
		members = append(members, mem)
		n, oldest, err := t.store.Unread(t.name, mem.Name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.log.Debug("work watcher: inbox", zap.String("agent", mem.Name), zap.Error(err))
		}
		f.unread[mem.Name], f.oldest[mem.Name] = n, oldest
	}
	if tasks, err := t.store.ListTasks(t.name); err == nil {
		for _, task := range tasks {
			if task.Status != protocol.StatusInProgress {
				continue
			}
			for _, mem := range members {
				if mem.OwnsTask(task) {
					f.tasks[mem.Name] = append(f.tasks[mem.Name], "#"+task.ID+" "+task.Subject)
				}
			}
		}
	}
	// The lead's live inbox only (read messages move to its history, and
	// the loop keeps the latest notification it saw).
	data, err := os.ReadFile(t.store.InboxPath(t.name, protocol.LeadName))
	if err == nil {
		msgs, _ := protocol.DecodeInbox(data)
		for _, msg := range msgs {
			typ, v, ok := protocol.Decode(msg.Text)
			if !ok || typ != protocol.TypeIdleNotification {
				continue
			}
			from := msg.From
			if n, ok := v.(protocol.IdleNotification); ok && n.From != "" {
				from = n.From
			}
			i := slices.IndexFunc(members, func(m protocol.Member) bool { return m.Owns(from) })
			if i < 0 {
				continue
			}
			name := members[i].Name
			at, err := protocol.ParseTimestamp(msg.Timestamp)
			if err == nil && at.After(f.idle[name]) {
				f.idle[name] = at
			}
		}
	}
	return f
}
