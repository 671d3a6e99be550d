package backends

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// recordingKeys is a LeadKeys that records its calls.
type recordingKeys struct {
	made, dropped []string
	err           error
}

func (k *recordingKeys) LeadVerifyKey(team, agent string) (string, error) {
	k.made = append(k.made, team+"/"+agent)
	return "1767323045678.MCowBQYDK2VwAyEA", k.err
}

func (k *recordingKeys) DeleteLeadKey(team, agent string) error {
	k.dropped = append(k.dropped, team+"/"+agent)
	return nil
}

// fakeClaude writes an executable that answers the probe as a claude
// that knows --lead-verify-key (Commander names the first unknown option:
// the probe's third word) or as one that does not (the first word), and
// counts its runs in <path>.runs.
func fakeClaude(t *testing.T, knows bool) string {
	t.Helper()
	word := "$1"
	if knows {
		word = "$3"
	}
	path := filepath.Join(t.TempDir(), "claude")
	script := "#!/bin/sh\necho run >> \"$0.runs\"\necho \"error: unknown option '" + word + "'\" >&2\nexit 1\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func runs(t *testing.T, bin string) int {
	data, _ := os.ReadFile(bin + ".runs")
	return strings.Count(string(data), "run")
}

func TestClaudeLaunchLeadKey(t *testing.T) {
	tests := []struct {
		name     string
		knows    bool
		sign     bool
		noKeys   bool
		wantFlag bool
	}{
		{"new cli signs", true, true, false, true},
		{"old cli starts unsigned", false, true, false, false},
		{"CLAUDE_TEAMS_SIGN_LEAD=0", true, false, false, false},
		{"no key maker", true, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := fakeClaude(t, tt.knows)
			keys := &recordingKeys{}
			c := Config{LookPath: func(string) (string, error) { return bin, nil }, SignLead: tt.sign, LeadKeys: keys}
			if tt.noKeys {
				c.LeadKeys = nil
			}
			l, err := c.Launch(Claude, Teammate{Team: "t1", Name: "w1", AgentID: "w1@t1", Cwd: "/"})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.Index(l.Argv, LeadKeyOption)
			if got := i >= 0; got != tt.wantFlag {
				t.Fatalf("argv %q: %s present = %v, want %v", l.Argv, LeadKeyOption, got, tt.wantFlag)
			}
			if tt.wantFlag {
				if l.Argv[i+1] != "1767323045678.MCowBQYDK2VwAyEA" || !slices.Equal(keys.made, []string{"t1/w1"}) {
					t.Errorf("key word %q, keys made %v", l.Argv[i+1], keys.made)
				}
			} else if !tt.noKeys && (len(keys.made) != 0 || !slices.Equal(keys.dropped, []string{"t1/w1"})) {
				t.Errorf("unsigned launch: keys made %v, dropped %v; want none made and a stale one dropped", keys.made, keys.dropped)
			}
		})
	}
}

func TestLeadKeyProbeCachedPerBinary(t *testing.T) {
	bin := fakeClaude(t, true)
	c := Config{}
	for i := 0; i < 3; i++ {
		if !c.KnowsLeadKeyOption(bin) {
			t.Fatal("probe says the new cli does not know the option")
		}
	}
	if n := runs(t, bin); n != 1 {
		t.Errorf("probe ran %d times for one binary, want 1", n)
	}
	// The binary is replaced by an old one: probed again.
	old := "#!/bin/sh\necho run >> \"$0.runs\"\necho \"error: unknown option '$1'\" >&2\nexit 1\n# older build\n"
	if err := os.WriteFile(bin, []byte(old), 0o755); err != nil {
		t.Fatal(err)
	}
	if c.KnowsLeadKeyOption(bin) {
		t.Error("replaced binary still cached as knowing the option")
	}
	if n := runs(t, bin); n != 2 {
		t.Errorf("probe ran %d times after the binary changed, want 2", n)
	}
}

func TestLeadKeyProbeUnsureIsNotCached(t *testing.T) {
	path := filepath.Join(t.TempDir(), "claude")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho run >> \"$0.runs\"\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := Config{}
	if c.KnowsLeadKeyOption(path) || c.KnowsLeadKeyOption(path) {
		t.Error("a crashing probe counts as knowing the option")
	}
	if n := runs(t, path); n != 2 {
		t.Errorf("an unsure probe ran %d times in two asks, want 2 (not cached)", n)
	}
	if c.KnowsLeadKeyOption(filepath.Join(t.TempDir(), "missing")) {
		t.Error("a missing binary knows the option")
	}
}

func TestLeadKeyErrorFailsLaunch(t *testing.T) {
	bin := fakeClaude(t, true)
	keys := &recordingKeys{err: errors.New("refusing lead key: it is a symlink")}
	c := Config{LookPath: func(string) (string, error) { return bin, nil }, SignLead: true, LeadKeys: keys}
	_, err := c.Launch(Claude, Teammate{Team: "t1", Name: "w1", AgentID: "w1@t1", Cwd: "/"})
	if err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("Launch with a refused key = %v, want the refusal", err)
	}
}

// TestRealClaudeLeadKeyProbe asks the real CLIs: 2.1.197 refuses the
// option, 2.1.332 knows it (CLAUDE197_BIN, CLAUDE332_BIN as .ci/run sets).
func TestRealClaudeLeadKeyProbe(t *testing.T) {
	for _, tt := range []struct {
		env   string
		knows bool
	}{{"CLAUDE197_BIN", false}, {"CLAUDE332_BIN", true}} {
		t.Run(tt.env, func(t *testing.T) {
			bin := os.Getenv(tt.env)
			if bin == "" {
				t.Skipf("%s not set", tt.env)
			}
			home := t.TempDir()
			c := Config{Environ: []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "CLAUDE_CONFIG_DIR=" + home}}
			if got := c.KnowsLeadKeyOption(bin); got != tt.knows {
				t.Fatalf("%s knows %s = %v, want %v", bin, LeadKeyOption, got, tt.knows)
			}
			if left, _ := os.ReadDir(home); len(left) != 0 {
				t.Errorf("the probe left files in HOME: %v", left)
			}
		})
	}
}
