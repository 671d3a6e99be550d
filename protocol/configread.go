package protocol

import (
	"errors"
	"time"
)

// Claude Code 2.1.332 teammates rewrite config.json in place (under its
// lock) on every idle/active change (PROTOCOL.md §10), so a reader that
// takes no lock can see an empty or half-written file. One bad parse is
// therefore never reported as corruption: the read is tried again, and
// the last attempt is made holding config.json's lock, where no writer
// that follows the protocol can be half-way.

// configRereads are the waits before the unlocked re-reads of a config.json
// that did not parse; after them comes one read under the lock.
var configRereads = []time.Duration{0, time.Millisecond, 5 * time.Millisecond}

// readConfigSettled is readConfig for callers that do not hold the lock.
func (s *Store) readConfigSettled(team string) (TeamConfig, error) {
	cfg, err := s.readConfig(team)
	if !errors.Is(err, ErrCorrupt) {
		return cfg, err
	}
	for _, d := range configRereads {
		if d > 0 {
			time.Sleep(d)
		}
		s.callHook("config-reread")
		if cfg, err = s.readConfig(team); !errors.Is(err, ErrCorrupt) {
			return cfg, err
		}
	}
	lerr := s.transform([]string{s.ConfigPath(team)}, func(*tx) error {
		cfg, err = s.readConfig(team)
		return nil
	})
	if lerr != nil {
		return TeamConfig{}, lerr
	}
	return cfg, err
}
