package protocol

// Owns reports whether a task's owner field names m: the owner is the
// member's name or its agent id ("w1" or "w1@team"; Claude Code teammates
// may write either). This is the one ownership rule, used by status,
// restart notes, work facts and task release.
func (m Member) Owns(owner string) bool {
	return owner != "" && (owner == m.Name || (m.AgentID != "" && owner == m.AgentID))
}

// OwnsTask reports whether t is an unfinished task m owns (Owns).
func (m Member) OwnsTask(t Task) bool { return !t.Finished() && m.Owns(t.Owner) }

// OwnedTaskIDs returns the ids of the unfinished tasks among tasks that m
// owns (OwnsTask), in id order; never nil, so JSON says [] rather than null.
func (m Member) OwnedTaskIDs(tasks []Task) []string {
	ids := []string{}
	for _, t := range tasks {
		if m.OwnsTask(t) {
			ids = append(ids, t.ID)
		}
	}
	sortIDs(ids)
	return ids
}
