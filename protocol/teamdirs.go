package protocol

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// A team's own directories, R/teams/<team> and R/tasks/<team>, are made
// only by CreateTeam and ensureTasksDir, never as the parents of a file
// some writer is about to write: a writer racing DeleteTeam must not bring
// a deleted team's directories back (without its config.json they would
// be a team nobody can use or create). DeleteTeam moves teams/<team> away
// before tasks/<team>, so whoever makes tasks/<team> and then still finds
// config.json knows a deletion under way will move its directory too.

// mkdirsFor creates dir and its missing parents, except that it creates
// nothing above or at a team's own directory: below R/teams/<team> or
// R/tasks/<team> it makes one level at a time under the existing team
// directory, and fails with ErrTeamNotFound if that directory is gone.
func (s *Store) mkdirsFor(dir string) error {
	team, base, ok := s.teamBase(dir)
	if !ok {
		return mkdirs(dir)
	}
	rel, _ := filepath.Rel(base, dir)
	cur := base
	if rel != "." {
		for _, part := range strings.Split(rel, string(filepath.Separator)) {
			cur = filepath.Join(cur, part)
			err := os.Mkdir(cur, dirPerm)
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("team %s: deleted while writing (no %s): %w", team, base, ErrTeamNotFound)
			}
			if err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("mkdir %s: %w", cur, err)
			}
		}
	}
	if _, err := os.Stat(base); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("team %s: deleted while writing (no %s): %w", team, base, ErrTeamNotFound)
	}
	return nil
}

// teamBase reports whether dir is at or below a team's directory
// (R/teams/<team> or R/tasks/<team>), and which.
func (s *Store) teamBase(dir string) (team, base string, ok bool) {
	rel, err := filepath.Rel(s.root, filepath.Clean(dir))
	if err != nil || !filepath.IsLocal(rel) {
		return "", "", false
	}
	parts := strings.SplitN(rel, string(filepath.Separator), 3)
	if len(parts) < 2 || parts[0] != "teams" && parts[0] != "tasks" || ValidateTeamName(parts[1]) != nil {
		return "", "", false
	}
	return parts[1], filepath.Join(s.root, parts[0], parts[1]), true
}

// teamMissing returns an error wrapping ErrTeamNotFound when team has no
// config.json, nil otherwise.
func (s *Store) teamMissing(team string) error {
	if _, err := os.Stat(s.ConfigPath(team)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("team %s: %w", team, ErrTeamNotFound)
	}
	return nil
}

// ensureTasksDir creates R/tasks/<team> and its .lock file for a team
// that exists. If it made the directory and then finds the team gone (a
// deletion raced it), it takes the directory away again.
func (s *Store) ensureTasksDir(team string) error {
	if err := s.teamMissing(team); err != nil {
		return err
	}
	dir := s.TasksDir(team)
	if err := mkdirs(filepath.Dir(dir)); err != nil {
		return err
	}
	err := os.Mkdir(dir, dirPerm)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("mkdir %s: %w", dir, err)
	}
	if err == nil {
		if err := s.teamMissing(team); err != nil {
			s.dropOrphanTasksDir(team)
			return err
		}
	}
	if _, err := os.Stat(s.listLockFile(team)); err == nil {
		return nil
	}
	if err := createExclusive(s.listLockFile(team), nil); err != nil && !errors.Is(err, fs.ErrExist) {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("team %s: deleted while writing: %w", team, ErrTeamNotFound)
		}
		return err
	}
	return nil
}

// dropOrphanTasksDir moves aside and removes R/tasks/<team> of a team
// with no config.json (made by a writer that lost a race with DeleteTeam).
func (s *Store) dropOrphanTasksDir(team string) {
	dir := s.TasksDir(team)
	gone := filepath.Join(filepath.Dir(dir), ".deleted-"+team+"-"+s.newID())
	if s.teamMissing(team) == nil {
		return // created again meanwhile
	}
	if os.Rename(dir, gone) == nil {
		_ = os.RemoveAll(gone)
	}
}

// goneOr returns an error wrapping ErrTeamNotFound, naming the team, when
// err comes from a team's files vanishing under a transform on lockFiles
// (the team was deleted while we worked); otherwise err.
func (s *Store) goneOr(lockFiles []string, err error) error {
	if err == nil || errors.Is(err, ErrTeamNotFound) || !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, ErrLockLost) {
		return err
	}
	for _, f := range lockFiles {
		if team, _, ok := s.teamBase(f); ok && s.teamMissing(team) != nil {
			return fmt.Errorf("team %s: deleted while writing: %w (%v)", team, ErrTeamNotFound, err)
		}
	}
	return err
}
