package mcp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/f9449b24/claude-teams/protocol"
)

// TestTeamDeleteByAnotherSessionNeedsForce: only the session that created
// a team deletes it without force; the creator then learns it is gone.
func TestTeamDeleteByAnotherSessionNeedsForce(t *testing.T) {
	lead := newHarness(t, harnessOpts{})
	lead.createTeam("alpha")
	other := newHarness(t, harnessOpts{root: lead.root})
	other.fail("team_delete", map[string]any{"team_name": "alpha"},
		`"alpha"`, "not created by this session", "force=true")
	if _, err := os.Stat(filepath.Join(lead.root, "teams", "alpha", "config.json")); err != nil {
		t.Fatalf("a refused team_delete deleted the team: %v", err)
	}
	other.ok("team_delete", map[string]any{"team_name": "alpha", "force": true})
	lead.fail("team_delete", map[string]any{"team_name": "alpha"}, `team "alpha" not found`)
}

// TestTeamDeleteRaceWritersDoNotRecreate races team_delete against
// another session's task_create and read_inbox (which moves read mail to
// the history file) in a loop: after each round neither teams/<team> nor
// tasks/<team> exists.
func TestTeamDeleteRaceWritersDoNotRecreate(t *testing.T) {
	const rounds = 40
	lead := newHarness(t, harnessOpts{})
	writer := newHarness(t, harnessOpts{root: lead.root})
	recreated := 0
	for round := range rounds {
		team := fmt.Sprintf("race-%d", round)
		lead.createTeam(team)
		for i := range 3 {
			if _, err := lead.store.Send(team, protocol.LeadName, protocol.Message{From: "w1", Text: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			for i := 0; i < 50; i++ {
				res, err := writer.client.CallTool(context.Background(), callReq("task_create", map[string]any{"team_name": team, "subject": fmt.Sprint("t", i)}))
				if err != nil {
					t.Errorf("task_create: JSON-RPC error %v", err)
					return
				}
				res2, err := writer.client.CallTool(context.Background(), callReq("read_inbox", map[string]any{"team_name": team, "agent_name": protocol.LeadName, "mark_as_read": true}))
				if err != nil {
					t.Errorf("read_inbox: JSON-RPC error %v", err)
					return
				}
				if res.IsError && res2.IsError {
					return // the team is gone
				}
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			res, err := lead.client.CallTool(context.Background(), callReq("team_delete", map[string]any{"team_name": team}))
			if err != nil || res.IsError {
				t.Errorf("team_delete: %v %s", err, resultText(res))
			}
		}()
		close(start)
		wg.Wait()
		for _, dir := range []string{filepath.Join(lead.root, "teams", team), filepath.Join(lead.root, "tasks", team)} {
			if _, err := os.Lstat(dir); err == nil {
				recreated++
				t.Errorf("round %d: %s exists after team_delete", round, dir)
			}
		}
		if t.Failed() {
			break
		}
	}
	t.Logf("team delete race: %d rounds, %d with a deleted team's directory recreated", rounds, recreated)
}
