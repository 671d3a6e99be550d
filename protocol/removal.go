package protocol

import (
	"errors"
	"fmt"
)

// Removal is what removing a teammate from its team did: the member as
// config.json recorded it (zero when it was gone already) and its
// unfinished tasks, now pending without an owner.
type Removal struct {
	Member   Member `json:"member"`
	Released []Task `json:"released"`
}

// RemoveTeammate removes teammate name from team's config (and its lead
// key) and returns its unfinished tasks, owned by its name or its agent id,
// to pending. A member already gone is not an error (a call repeated after
// its answer was lost): its tasks are still released. Only a team's owner
// calls it, once the teammate's pane is gone.
func (s *Store) RemoveTeammate(team, name string) (Removal, error) {
	if err := ValidateMemberName(name); err != nil {
		return Removal{}, err
	}
	if name == LeadName {
		return Removal{}, fmt.Errorf("team %s: remove %s: the lead cannot be removed: %w", team, name, ErrInvalidName)
	}
	cfg, err := s.ReadConfig(team)
	if err != nil {
		return Removal{}, fmt.Errorf("remove %s: %w", name, err)
	}
	var out Removal
	out.Member, _ = cfg.FindMember(name)
	if err := s.RemoveMember(team, name); err != nil && !errors.Is(err, ErrMemberNotFound) {
		return Removal{}, fmt.Errorf("remove %s: %w", name, err)
	}
	released, err := s.ReleaseTasks(team, name)
	if err != nil {
		return out, fmt.Errorf("remove %s: release tasks: %w", name, err)
	}
	out.Released = released
	if out.Released == nil {
		out.Released = []Task{}
	}
	return out, nil
}
