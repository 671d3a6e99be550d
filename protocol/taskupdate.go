package protocol

import (
	"fmt"
	"slices"
	"strings"
)

// stageUpdate validates u against the current tasks and stages the writes.
// The caller holds the list lock; all is a snapshot of every task. corrupt
// is where a corrupt inbox of the new owner is to be moved.
func (s *Store) stageUpdate(t *tx, team, id string, u TaskUpdate, all map[string]Task) (Task, string, error) {
	peers := slices.Concat(u.AddBlocks, u.AddBlockedBy)
	for _, x := range peers {
		if _, ok := all[x]; !ok {
			return Task{}, "", fmt.Errorf("task %s: cannot link to task %s: %w", id, x, ErrTaskNotFound)
		}
	}
	cur := all[id]
	completing := u.Status != nil && *u.Status == StatusCompleted && cur.Status != StatusCompleted
	lockIDs := append(slices.Clone(peers), id)
	if completing {
		lockIDs = append(lockIDs, referrers(all, id, false, true)...)
	}
	if err := s.lockTasks(t, team, all, lockIDs); err != nil {
		return Task{}, "", err
	}
	cur = all[id]
	next := cur
	next.Blocks = slices.Clone(cur.Blocks)
	next.BlockedBy = slices.Clone(cur.BlockedBy)
	changed := map[string]bool{id: true}

	// Status: forward only; starting and completing need finished blockers.
	if u.Status != nil {
		from, to := statusRank(cur.Status), statusRank(*u.Status)
		if to < from {
			return Task{}, "", invalid("task %s is %s and cannot go back to %s (status moves pending → in_progress → completed)", id, cur.Status, *u.Status)
		}
		next.Status = *u.Status
	}
	if u.Subject != nil {
		next.Subject = *u.Subject
	}
	if u.Description != nil {
		next.Description = *u.Description
	}
	if u.ActiveForm != nil {
		next.ActiveForm = *u.ActiveForm
	}
	next.Metadata = mergeMetadata(cur.Metadata, u.Metadata)
	if len(u.Metadata) > 0 {
		if err := checkMetadata(id, next.Metadata); err != nil {
			return Task{}, "", err
		}
	}

	// Edges: both directions, no cycle.
	type edge struct{ from, to string } // from blocks to
	var added []edge
	for _, x := range u.AddBlocks {
		added = append(added, edge{id, x})
	}
	for _, x := range u.AddBlockedBy {
		added = append(added, edge{x, id})
	}
	all[id] = next
	for _, e := range added {
		a, b := all[e.from], all[e.to]
		if !slices.Contains(a.Blocks, e.to) {
			a.Blocks = append(slices.Clone(a.Blocks), e.to)
		}
		if !slices.Contains(b.BlockedBy, e.from) {
			b.BlockedBy = append(slices.Clone(b.BlockedBy), e.from)
		}
		all[e.from], all[e.to] = a, b
		changed[e.from], changed[e.to] = true, true
	}
	for _, e := range added {
		if path := blockPath(all, e.to, e.from); path != nil {
			return Task{}, "", invalid("task %s cannot block task %s: that closes the cycle %s", e.from, e.to,
				"#"+strings.Join(append([]string{e.from}, path...), " → #"))
		}
	}
	next = all[id]

	if u.Status != nil && statusRank(next.Status) > statusRank(cur.Status) && statusRank(next.Status) >= 1 {
		for _, b := range next.BlockedBy {
			if bt, ok := all[b]; ok && !bt.Finished() {
				verb := "start"
				if next.Status == StatusCompleted {
					verb = "complete"
				}
				return Task{}, "", invalid("task %s cannot %s: it is blocked by task %s (%s), which is not completed", id, verb, b, bt.Status)
			}
		}
	}
	if completing {
		for x, r := range all {
			if x != id && slices.Contains(r.BlockedBy, id) {
				r.BlockedBy = without(r.BlockedBy, id)
				all[x] = r
				changed[x] = true
			}
		}
	}

	// Owner: a new, non-empty owner gets a task_assignment.
	var assign []byte
	if u.Owner != nil {
		next.Owner = *u.Owner
		all[id] = next
		if *u.Owner != "" && *u.Owner != cur.Owner {
			text := Encode(TaskAssignment{TaskID: id, Subject: next.Subject, Description: next.Description,
				AssignedBy: u.By, Timestamp: s.timestamp()})
			m := s.fillMessage(Message{From: u.By, Text: text})
			if err := s.signEntry(team, *u.Owner, &m); err != nil {
				return Task{}, "", err
			}
			entry, err := marshalCompact(m)
			if err != nil {
				return Task{}, "", err
			}
			assign = entry
		}
	}

	// Everything checked: stage the writes, the peers first.
	ids := make([]string, 0, len(changed))
	for x := range changed {
		if x != id {
			ids = append(ids, x)
		}
	}
	sortIDs(ids)
	for _, x := range append(ids, id) {
		if err := s.stageTask(t, team, all[x]); err != nil {
			return Task{}, "", err
		}
	}
	var corrupt string
	if assign != nil {
		// Everything is valid: only now create the inbox its lock needs.
		if err := s.ensureInbox(team, *u.Owner); err != nil {
			return Task{}, "", err
		}
		if err := t.lock(s.InboxPath(team, *u.Owner)); err != nil {
			return Task{}, "", err
		}
		c, err := s.stageAppend(t, team, *u.Owner, assign)
		if err != nil {
			return Task{}, "", err
		}
		corrupt = c
	}
	return all[id], corrupt, nil
}

// blockPath returns a path of ids from `from` to `to` following "blocks"
// edges (a task's blocks, and the reverse of each task's blockedBy), or
// nil if there is none.
func blockPath(all map[string]Task, from, to string) []string {
	adj := map[string][]string{}
	for x, t := range all {
		adj[x] = append(adj[x], t.Blocks...)
		for _, b := range t.BlockedBy {
			adj[b] = append(adj[b], x)
		}
	}
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		if x == to {
			var path []string
			for ; x != ""; x = prev[x] {
				path = append(path, x)
			}
			slices.Reverse(path)
			return path
		}
		for _, y := range adj[x] {
			if _, seen := prev[y]; !seen {
				prev[y] = x
				queue = append(queue, y)
			}
		}
	}
	return nil
}

// ReleaseTasks puts every unfinished task owned by member owner back to
// pending with no owner (a teammate was removed) and returns them, sorted
// by id. A task is owned under the member's name or its agent id
// (Member.Owns).
func (s *Store) ReleaseTasks(team, owner string) ([]Task, error) {
	if err := ValidateTeamName(team); err != nil {
		return nil, err
	}
	if err := ValidateMemberName(owner); err != nil {
		return nil, err
	}
	if err := s.ensureTasksDir(team); err != nil {
		return nil, err
	}
	m := Member{Name: owner, AgentID: AgentID(owner, team)}
	var out []Task
	err := s.transform([]string{s.listLockFile(team)}, func(t *tx) error {
		all, ids, err := s.loadTasks(team)
		if err != nil {
			return err
		}
		var mine []string
		for _, id := range ids {
			if m.OwnsTask(all[id]) {
				mine = append(mine, id)
			}
		}
		if err := s.lockTasks(t, team, all, mine); err != nil {
			return err
		}
		for _, id := range mine {
			x := all[id]
			if !m.OwnsTask(x) {
				continue // changed before we locked it
			}
			x.Owner, x.Status = "", StatusPending
			if err := s.stageTask(t, team, x); err != nil {
				return err
			}
			out = append(out, x)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("release tasks of %s: %w", owner, err)
	}
	return out, nil
}
