package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Colors are the teammate colours, given round robin by teammate count.
var Colors = []string{"blue", "green", "yellow", "purple", "orange", "pink", "cyan", "red"}

// DefaultAgentType is a teammate's agentType when none is given.
const DefaultAgentType = "general-purpose"

// DefaultBackendType is a teammate's backendType when none is given.
const DefaultBackendType = "claude"

// CreateTeam creates team name: its config.json with lead as the only
// member, the lead's inbox and the task directory. It refuses a team whose
// config.json exists (ErrTeamExists). The lead's agentId, name, agentType
// (when empty), joinedAt and subscriptions are filled in; leadSessionId is
// a new UUID unless the caller sets config fields afterwards.
func (s *Store) CreateTeam(name, description string, lead Member) (TeamConfig, error) {
	if err := ValidateTeamName(name); err != nil {
		return TeamConfig{}, err
	}
	now := s.now()
	lead.AgentID = AgentID(LeadName, name)
	lead.Name = LeadName
	if lead.AgentType == "" {
		lead.AgentType = LeadName
	}
	if lead.JoinedAt == 0 {
		lead.JoinedAt = now.UnixMilli()
	}
	if lead.Subscriptions == nil {
		lead.Subscriptions = []string{}
	}
	cfg := TeamConfig{
		Name:          name,
		Description:   description,
		CreatedAt:     now.UnixMilli(),
		LeadAgentID:   lead.AgentID,
		LeadSessionID: s.newID(),
		Members:       []Member{lead},
	}
	data, err := marshalFile(cfg)
	if err != nil {
		return TeamConfig{}, fmt.Errorf("create team %s: %w", name, err)
	}
	if err := mkdirs(s.InboxDir(name)); err != nil {
		return TeamConfig{}, fmt.Errorf("create team %s: %w", name, err)
	}
	if err := createExclusive(s.ConfigPath(name), data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return TeamConfig{}, fmt.Errorf("create team %s: %s exists: %w", name, s.ConfigPath(name), ErrTeamExists)
		}
		return TeamConfig{}, fmt.Errorf("create team %s: %w", name, err)
	}
	if err := s.ensureInbox(name, LeadName); err != nil {
		return TeamConfig{}, fmt.Errorf("create team %s: %w", name, err)
	}
	if err := s.resetTasks(name); err != nil {
		return TeamConfig{}, fmt.Errorf("create team %s: %w", name, err)
	}
	return cfg, nil
}

// ReadConfig reads team's config.json without its lock; a file that does
// not parse (a native teammate rewriting it in place) is read again, last
// under the lock, before it is reported as ErrCorrupt.
func (s *Store) ReadConfig(team string) (TeamConfig, error) {
	if err := ValidateTeamName(team); err != nil {
		return TeamConfig{}, err
	}
	return s.readConfigSettled(team)
}

func (s *Store) readConfig(team string) (TeamConfig, error) {
	path := s.ConfigPath(team)
	data, err := readExisting(path)
	if errors.Is(err, fs.ErrNotExist) {
		return TeamConfig{}, fmt.Errorf("team %s: no %s: %w", team, path, ErrTeamNotFound)
	}
	if err != nil {
		return TeamConfig{}, fmt.Errorf("team %s: %w", team, err)
	}
	var cfg TeamConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return TeamConfig{}, fmt.Errorf("team %s: %s: %w: %v", team, path, ErrCorrupt, err)
	}
	return cfg, nil
}

// UpdateConfig applies fn to team's config under config.json's lock and
// writes the result atomically. Unknown fields survive. If fn returns an
// error nothing is written and the error is returned as is.
func (s *Store) UpdateConfig(team string, fn func(*TeamConfig) error) (TeamConfig, error) {
	if err := ValidateTeamName(team); err != nil {
		return TeamConfig{}, err
	}
	path := s.ConfigPath(team)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return TeamConfig{}, fmt.Errorf("team %s: no %s: %w", team, path, ErrTeamNotFound)
	}
	var out TeamConfig
	err := s.transform([]string{path}, func(t *tx) error {
		cfg, err := s.readConfig(team)
		if err != nil {
			return err
		}
		if err := fn(&cfg); err != nil {
			return err
		}
		if cfg.Name != team {
			return fmt.Errorf("team %s: the config's name cannot change to %q", team, cfg.Name)
		}
		data, err := marshalFile(cfg)
		if err != nil {
			return fmt.Errorf("team %s: %w", team, err)
		}
		t.put(path, data)
		out = cfg
		return nil
	})
	return out, err
}

// AddMember adds teammate m to team. It validates m.Name as a teammate
// name, refuses a name already present (ErrMemberExists), and fills the
// fields NewMember fills, so every teammate field is written, as the Python
// server writes them.
func (s *Store) AddMember(team string, m Member) (Member, error) {
	if err := ValidateAgentName(m.Name); err != nil {
		return Member{}, err
	}
	_, err := s.UpdateConfig(team, func(cfg *TeamConfig) error {
		var err error
		if m, err = s.NewMember(*cfg, m); err != nil {
			return err
		}
		cfg.Members = append(cfg.Members, m)
		return nil
	})
	if err != nil {
		return Member{}, err
	}
	return m, nil
}

// NewMember is m as AddMember would add it to cfg, without writing
// anything: it refuses a name already present (ErrMemberExists) and fills
// agentId, agentType (DefaultAgentType), color (round robin by teammate
// count), joinedAt, subscriptions, planModeRequired (false), backendType
// (DefaultBackendType) and isActive (false) when empty. Adding its result
// later keeps every field it filled.
func (s *Store) NewMember(cfg TeamConfig, m Member) (Member, error) {
	if err := ValidateAgentName(m.Name); err != nil {
		return Member{}, err
	}
	teammates := 0
	for _, x := range cfg.Members {
		if x.Name == m.Name {
			return Member{}, fmt.Errorf("team %s: add %s: %w", cfg.Name, m.Name, ErrMemberExists)
		}
		if x.Name != LeadName {
			teammates++
		}
	}
	m.AgentID = AgentID(m.Name, cfg.Name)
	if m.AgentType == "" {
		m.AgentType = DefaultAgentType
	}
	if m.Color == "" {
		m.Color = Colors[teammates%len(Colors)]
	}
	if m.JoinedAt == 0 {
		m.JoinedAt = s.now().UnixMilli()
	}
	if m.Subscriptions == nil {
		m.Subscriptions = []string{}
	}
	if m.PlanModeRequired == nil {
		m.PlanModeRequired = Ptr(false)
	}
	if m.BackendType == "" {
		m.BackendType = DefaultBackendType
	}
	if m.IsActive == nil {
		m.IsActive = Ptr(false)
	}
	return m, nil
}

// RemoveMember removes teammate name from team's config and deletes its
// lead key (leadsig.go). The lead cannot be removed.
func (s *Store) RemoveMember(team, name string) error {
	if err := ValidateMemberName(name); err != nil {
		return err
	}
	if name == LeadName {
		return fmt.Errorf("team %s: remove %s: the lead cannot be removed: %w", team, name, ErrInvalidName)
	}
	_, err := s.UpdateConfig(team, func(cfg *TeamConfig) error {
		for i, x := range cfg.Members {
			if x.Name == name {
				cfg.Members = append(cfg.Members[:i:i], cfg.Members[i+1:]...)
				return nil
			}
		}
		return fmt.Errorf("team %s: remove %s: %w", team, name, ErrMemberNotFound)
	})
	if err != nil {
		return err
	}
	// Its lead key goes with it: nobody may sign for a removed teammate.
	return s.DeleteLeadKey(team, name)
}

// UpdateMember applies fn to member name under the config lock. fn may not
// change the member's name or agentId.
func (s *Store) UpdateMember(team, name string, fn func(*Member) error) (Member, error) {
	if err := ValidateMemberName(name); err != nil {
		return Member{}, err
	}
	var out Member
	_, err := s.UpdateConfig(team, func(cfg *TeamConfig) error {
		for i := range cfg.Members {
			m := &cfg.Members[i]
			if m.Name != name {
				continue
			}
			id := m.AgentID
			if err := fn(m); err != nil {
				return err
			}
			if m.Name != name || m.AgentID != id {
				return fmt.Errorf("team %s: member %s: name and agentId cannot change: %w", team, name, ErrInvalidName)
			}
			out = *m
			return nil
		}
		return fmt.Errorf("team %s: member %s: %w", team, name, ErrMemberNotFound)
	})
	return out, err
}

// FindMember returns the member called name in cfg.
func (c TeamConfig) FindMember(name string) (Member, bool) {
	for _, m := range c.Members {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

// DeleteTeam removes R/teams/<team> and R/tasks/<team>. Each directory is
// first renamed aside (so the team disappears at once, never half-deleted),
// then removed. It returns ErrTeamNotFound when neither exists.
func (s *Store) DeleteTeam(team string) error {
	if err := ValidateTeamName(team); err != nil {
		return err
	}
	found := false
	for _, dir := range []string{s.TeamDir(team), s.TasksDir(team)} {
		gone := filepath.Join(filepath.Dir(dir), ".deleted-"+team+"-"+s.newID())
		if err := os.Rename(dir, gone); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return fmt.Errorf("delete team %s: %w", team, err)
		}
		found = true
		if err := os.RemoveAll(gone); err != nil {
			return fmt.Errorf("delete team %s: %w", team, err)
		}
	}
	if !found {
		return fmt.Errorf("delete team %s: %w", team, ErrTeamNotFound)
	}
	return nil
}

// Settings are our own per-team settings, kept in OwnDir/settings.json.
// The zero value is the default.
type Settings struct {
	// PeerMessaging lets teammates message each other (the lead gets a
	// copy). Off by default: a teammate may message only the lead.
	PeerMessaging bool `json:"peerMessaging"`
}

// TeamSettings reads team's settings; a missing file yields the defaults.
func (s *Store) TeamSettings(team string) (Settings, error) {
	if err := ValidateTeamName(team); err != nil {
		return Settings{}, err
	}
	var st Settings
	err := ReadJSONFile(s.SettingsPath(team), &st)
	if errors.Is(err, fs.ErrNotExist) {
		return Settings{}, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("team %s: settings: %w", team, err)
	}
	return st, nil
}

// SetTeamSettings writes team's settings under the settings file's lock.
func (s *Store) SetTeamSettings(team string, st Settings) error {
	if err := ValidateTeamName(team); err != nil {
		return err
	}
	if _, err := os.Stat(s.ConfigPath(team)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("team %s: settings: %w", team, ErrTeamNotFound)
	}
	_, err := UpdateJSON(s, s.SettingsPath(team), func(cur *Settings) error {
		*cur = st
		return nil
	})
	return err
}
