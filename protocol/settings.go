package protocol

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

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
	return s.UpdateJSONFile(s.SettingsPath(team), &Settings{}, func(v any) (any, error) { return st, nil })
}

// UpdateJSONFile is a locked read-modify-write of one JSON file of ours
// (the supervisor's state file, for instance). Under path's lock directory
// it decodes path into cur (left as is when the file is missing), calls fn
// with cur, and writes what fn returns atomically (2-space indent, 0600,
// directories 0700). If fn returns an error nothing is written.
func (s *Store) UpdateJSONFile(path string, cur any, fn func(cur any) (any, error)) error {
	if err := mkdirs(filepath.Dir(path)); err != nil {
		return err
	}
	return s.transform([]string{path}, func(t *tx) error {
		err := ReadJSONFile(path, cur)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		next, err := fn(cur)
		if err != nil {
			return err
		}
		data, err := marshalFile(next)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		t.put(path, data)
		return nil
	})
}
