package protocol

import (
	"errors"
	"os"
	"testing"
)

// TestWriterRacingDeleteDoesNotRecreate: the team is deleted while a
// writer holds its lock (after it checked that the team exists); the
// writer's apply must not bring back the deleted team's directories.
func TestWriterRacingDeleteDoesNotRecreate(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, s *Store)
		write func(s *Store) error
	}{
		{"mark read moves mail to history", func(t *testing.T, s *Store) {
			if _, err := s.Send("t1", "w1", Message{From: LeadName, Text: "x"}); err != nil {
				t.Fatal(err)
			}
		}, func(s *Store) error {
			_, err := s.ReadInbox("t1", "w1", ReadOptions{MarkRead: true})
			return err
		}},
		{"send sets a corrupt inbox aside", func(t *testing.T, s *Store) {
			if err := os.WriteFile(s.InboxPath("t1", "w1"), []byte("{torn"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, func(s *Store) error {
			_, err := s.Send("t1", "w1", Message{From: LeadName, Text: "x"})
			return err
		}},
		{"create task", func(*testing.T, *Store) {}, func(s *Store) error {
			_, err := s.CreateTask("t1", TaskInput{Subject: "x"})
			return err
		}},
		{"update a file of ours", func(*testing.T, *Store) {}, func(s *Store) error {
			_, err := UpdateJSON(s, s.SettingsPath("t1"), func(v *Settings) error { v.PeerMessaging = true; return nil })
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newTeam(t, "w1")
			c.setup(t, s)
			deleted := false
			s.hook = func(stage string) {
				if stage == "verified" && !deleted {
					deleted = true
					if err := s.DeleteTeam("t1"); err != nil {
						t.Error(err)
					}
				}
			}
			err := c.write(s)
			if !deleted {
				t.Fatal("the writer never held its lock")
			}
			if err == nil {
				t.Error("a write to a team deleted under it succeeded")
			} else if !errors.Is(err, ErrTeamNotFound) {
				t.Errorf("error = %v, want ErrTeamNotFound", err)
			}
			for _, dir := range []string{s.TeamDir("t1"), s.TasksDir("t1")} {
				if _, err := os.Lstat(dir); err == nil {
					t.Errorf("%s was recreated after the team was deleted", dir)
				}
			}
		})
	}
}

// TestEnsureTasksDirDropsOrphan: a task directory made for a team whose
// config.json is gone by the time it is made is taken away again.
func TestEnsureTasksDirDropsOrphan(t *testing.T) {
	s := newTeam(t)
	if err := os.RemoveAll(s.TasksDir("t1")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(s.TasksDir("t1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(s.TeamDir("t1")); err != nil { // deleted, tasks dir next
		t.Fatal(err)
	}
	if err := os.Remove(s.TasksDir("t1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTask("t1", TaskInput{Subject: "x"}); !errors.Is(err, ErrTeamNotFound) {
		t.Fatalf("CreateTask on a deleted team = %v", err)
	}
	if _, err := os.Lstat(s.TasksDir("t1")); err == nil {
		t.Error("tasks directory of a deleted team recreated")
	}
}
