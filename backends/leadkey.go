package backends

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// Lead signatures (PROTOCOL.md §10): a claude teammate started with
// --lead-verify-key <launch ms>.<base64url SPKI DER> obeys only entries the
// lead signed. Claude Code 2.1.197 refuses the option ("unknown option",
// exit 1), so it is passed only to a binary that knows it, found out once
// per binary by a probe that starts no session.

// LeadKeys makes and drops the lead keys of claude teammates;
// protocol.Store is one. LeadVerifyKey records a launch and returns the
// --lead-verify-key value; DeleteLeadKey drops a key a teammate launched
// without it no longer checks.
type LeadKeys interface {
	LeadVerifyKey(team, agent string) (string, error)
	DeleteLeadKey(team, agent string) error
}

// LeadKeyOption is Claude Code's hidden option for the lead's public key.
const LeadKeyOption = "--lead-verify-key"

// probeUnknown is an option no claude knows: Commander reports the first
// unknown option it meets, so the probe's error names the key option when
// the binary does not know it and this one when it does. Either way it
// exits before any session, file or network use.
const probeUnknown = "--claude-teams-probe-unknown-option"

var (
	verifyKeyWord = regexp.MustCompile(`^[0-9]+\.[A-Za-z0-9_-]+$`)
	probeCache    sync.Map // probeID -> bool
)

// probeID identifies one binary file: a replaced binary is probed again.
type probeID struct {
	path  string
	size  int64
	mtime int64
}

// leadKeyArgv appends --lead-verify-key to a claude teammate's argv when
// c.SignLead, c.LeadKeys and the binary allow it. Otherwise it drops any
// key left from an earlier launch, so "has a key" keeps meaning "its lead
// entries are checked".
func (c Config) leadKeyArgv(bin string, t Teammate, argv []string) ([]string, error) {
	if c.LeadKeys == nil {
		return argv, nil
	}
	if !c.SignLead || !c.KnowsLeadKeyOption(bin) {
		if err := c.LeadKeys.DeleteLeadKey(t.Team, t.Name); err != nil {
			return nil, fmt.Errorf("lead key: %w", err)
		}
		return argv, nil
	}
	v, err := c.LeadKeys.LeadVerifyKey(t.Team, t.Name)
	if err != nil {
		return nil, fmt.Errorf("lead key: %w", err)
	}
	if !verifyKeyWord.MatchString(v) {
		return nil, fmt.Errorf("lead key %q is not <ms>.<base64url>: %w", v, ErrInvalidTeammate)
	}
	return append(argv, LeadKeyOption, v), nil
}

// KnowsLeadKeyOption reports whether the claude binary bin accepts
// --lead-verify-key. The answer is cached per binary (resolved path, size,
// modification time); a probe that neither accepts nor refuses the option
// (it timed out, crashed) answers false and is tried again next time.
func (c Config) KnowsLeadKeyOption(bin string) bool {
	real, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return false
	}
	fi, err := os.Stat(real)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	id := probeID{real, fi.Size(), fi.ModTime().UnixNano()}
	if v, ok := probeCache.Load(id); ok {
		return v.(bool)
	}
	knows, sure := c.probeLeadKey(bin)
	if sure {
		probeCache.Store(id, knows)
	}
	return knows
}

// probeLeadKey runs `bin --lead-verify-key 1.AA <unknown option>` and
// reads which option the error names.
func (c Config) probeLeadKey(bin string) (knows, sure bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, LeadKeyOption, "1.AA", probeUnknown)
	cmd.Env = c.Environ
	cmd.Dir = os.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run() // both answers exit 1
	switch {
	case bytes.Contains(out.Bytes(), []byte("'"+LeadKeyOption+"'")):
		return false, true
	case bytes.Contains(out.Bytes(), []byte("'"+probeUnknown+"'")):
		return true, true
	}
	return false, false
}
