package protocol

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"
)

// Lead signatures (PROTOCOL.md §10). A claude teammate started with
// --lead-verify-key <launch ms>.<base64url SPKI DER> trusts an entry from
// team-lead, user or system only if its lead_sig verifies. We keep one
// ed25519 key pair per keyed teammate in OwnDir/keys/<agent>.json (0600),
// so every process of ours (the lead's server, a second server, a
// successor supervisor) signs with it; each launch refreshes the launch ms
// and keeps the pair, as Claude Code's own lead does, so entries still
// waiting in the inbox across a restart stay valid (refreshLeadEntries
// stamps those too old for the new launch anew). Deliver and the task
// assignment of UpdateTask sign every lead entry they write into a keyed
// teammate's inbox (signEntry); RemoveMember deletes the key.

// LeadSigContext is the first item of every signed payload.
const LeadSigContext = "claude-team-lead-entry-v1"

// leadSenders are the senders whose entries a keyed teammate checks.
var leadSenders = map[string]bool{LeadName: true, "user": true, "system": true}

// IsLeadSender reports whether a keyed teammate demands a signature on an
// entry from from (team-lead, user, system).
func IsLeadSender(from string) bool { return leadSenders[from] }

// ErrLeadKey is wrapped by every refusal to read or use a key file.
var ErrLeadKey = errors.New("protocol: lead key refused")

// leadKeyFile is the JSON of OwnDir/keys/<agent>.json.
type leadKeyFile struct {
	Agent    string `json:"agent"`
	LaunchMS int64  `json:"launch_ms"`
	Seed     string `json:"seed"`       // base64url of the 32-byte ed25519 seed
	Public   string `json:"public_key"` // base64url of the SPKI DER public key
}

// LeadKey is the signing key of one teammate.
type LeadKey struct {
	Agent    string
	LaunchMS int64 // the latest launch's time, Unix milliseconds
	Private  ed25519.PrivateKey
}

// VerifyKey is the value of --lead-verify-key for this key.
func (k LeadKey) VerifyKey() string {
	der, _ := x509.MarshalPKIXPublicKey(k.Private.Public()) // cannot fail for ed25519
	return strconv.FormatInt(k.LaunchMS, 10) + "." + base64.RawURLEncoding.EncodeToString(der)
}

var verifyKeyPattern = regexp.MustCompile(`^(\d+)\.([A-Za-z0-9_-]+)$`)

// ParseVerifyKey parses a --lead-verify-key value into its launch ms and
// ed25519 public key.
func ParseVerifyKey(v string) (int64, ed25519.PublicKey, error) {
	m := verifyKeyPattern.FindStringSubmatch(v)
	if m == nil {
		return 0, nil, fmt.Errorf("lead verify key %q is not <ms>.<base64url SPKI>: %w", v, ErrLeadKey)
	}
	ms, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("lead verify key %q: %w: %v", v, ErrLeadKey, err)
	}
	der, err := base64.RawURLEncoding.DecodeString(m[2])
	if err != nil {
		return 0, nil, fmt.Errorf("lead verify key %q: %w: %v", v, ErrLeadKey, err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return 0, nil, fmt.Errorf("lead verify key %q: %w: %v", v, ErrLeadKey, err)
	}
	ed, ok := pub.(ed25519.PublicKey)
	if !ok {
		return 0, nil, fmt.Errorf("lead verify key %q is not an ed25519 key: %w", v, ErrLeadKey)
	}
	return ms, ed, nil
}

// LeadKeyPath returns OwnDir/keys/<agent>.json.
func (s *Store) LeadKeyPath(team, agent string) string {
	return filepath.Join(s.OwnDir(team), "keys", agent+".json")
}

// LeadVerifyKey prepares the launch of teammate agent with a lead key: it
// creates the agent's key pair if it has none, records now as its launch
// time, and returns the --lead-verify-key value. Call it right before the
// launch, and before the prompt is written (Deliver signs only for agents
// that have a key).
func (s *Store) LeadVerifyKey(team, agent string) (string, error) {
	if err := validateKeyOwner(team, agent); err != nil {
		return "", err
	}
	if _, err := os.Stat(s.ConfigPath(team)); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("lead key for %s: team %s: %w", agent, team, ErrTeamNotFound)
	}
	path := s.LeadKeyPath(team, agent)
	if _, err := s.checkKeyDir(team, true); err != nil {
		return "", err
	}
	var key LeadKey
	err := s.transform([]string{path}, func(t *tx) error {
		k, ok, err := readLeadKeyFile(path, agent)
		if err != nil {
			return err
		}
		if !ok {
			_, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return fmt.Errorf("lead key for %s: %w", agent, err)
			}
			k = LeadKey{Agent: agent, Private: priv}
		}
		k.LaunchMS = s.now().UnixMilli()
		der, _ := x509.MarshalPKIXPublicKey(k.Private.Public())
		data, err := marshalFile(leadKeyFile{
			Agent: agent, LaunchMS: k.LaunchMS,
			Seed:   base64.RawURLEncoding.EncodeToString(k.Private.Seed()),
			Public: base64.RawURLEncoding.EncodeToString(der),
		})
		if err != nil {
			return err
		}
		t.put(path, data)
		key = k
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("lead key for %s: %w", agent, err)
	}
	if err := s.refreshLeadEntries(team, agent, key); err != nil {
		return "", fmt.Errorf("lead key for %s: %w", agent, err)
	}
	return key.VerifyKey(), nil
}

// leadEntryMaxAge is how old a signed entry waiting in the inbox may be at
// a launch before refreshLeadEntries stamps it anew: a teammate accepts
// only entries stamped at most 120 s before its start (PROTOCOL.md §10).
const leadEntryMaxAge = 60 * time.Second

// refreshLeadEntries gives the signed entries of ours still waiting in
// agent's inbox (they verify with k) that are older than leadEntryMaxAge a
// new timestamp and signature, so a teammate restarted after a long
// backoff still accepts the mail it missed. Entries that are not ours are
// left as they are; so is a corrupt inbox (the next Deliver sets it aside).
func (s *Store) refreshLeadEntries(team, agent string, k LeadKey) error {
	path := s.InboxPath(team, agent)
	if _, err := os.Stat(path); err != nil {
		return nil // no inbox yet
	}
	vk := k.VerifyKey()
	return s.transform([]string{path}, func(t *tx) error {
		data, err := readFile(path)
		if err != nil {
			return err
		}
		raw, err := decodeInbox(data)
		if err != nil {
			return nil
		}
		now := s.now()
		changed := false
		for i, r := range raw {
			m, ok := decodeEntry(r)
			if !ok || m.LeadSig == "" || !IsLeadSender(m.From) {
				continue
			}
			ts, err := ParseTimestamp(m.Timestamp)
			if err != nil || now.Sub(ts) <= leadEntryMaxAge || !VerifyLeadEntry(m, vk) {
				continue
			}
			m.Timestamp = FormatTimestamp(now)
			if err := SignLeadEntry(&m, k.Private); err != nil {
				return err
			}
			if raw[i], err = marshalCompact(m); err != nil {
				return err
			}
			changed = true
		}
		if changed {
			t.put(path, encodeInbox(raw))
		}
		return nil
	})
}

// ReadLeadKey returns agent's key; ok is false when it has none. A key file
// that is a symlink or not a regular file, or that does not hold a sound
// key for agent, is refused with an error wrapping ErrLeadKey.
func (s *Store) ReadLeadKey(team, agent string) (k LeadKey, ok bool, err error) {
	if err := validateKeyOwner(team, agent); err != nil {
		return LeadKey{}, false, err
	}
	if exists, err := s.checkKeyDir(team, false); err != nil || !exists {
		return LeadKey{}, false, err
	}
	return readLeadKeyFile(s.LeadKeyPath(team, agent), agent)
}

// DeleteLeadKey removes agent's key file (none is fine).
func (s *Store) DeleteLeadKey(team, agent string) error {
	if err := validateKeyOwner(team, agent); err != nil {
		return err
	}
	path := s.LeadKeyPath(team, agent)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete lead key of %s: %w", agent, err)
	}
	return nil
}

func validateKeyOwner(team, agent string) error {
	if err := ValidateTeamName(team); err != nil {
		return err
	}
	if err := ValidateMemberName(agent); err != nil {
		return err
	}
	if agent == LeadName {
		return fmt.Errorf("lead key for %s: the lead has no lead key: %w", agent, ErrInvalidName)
	}
	return nil
}

// checkKeyDir refuses a keys directory (or own directory) that is not a
// real directory. A missing one is created 0700 when create is set;
// otherwise exists is false.
func (s *Store) checkKeyDir(team string, create bool) (exists bool, err error) {
	for _, dir := range []string{s.OwnDir(team), filepath.Dir(s.LeadKeyPath(team, "x"))} {
		fi, err := os.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			if !create {
				return false, nil
			}
			if err := os.Mkdir(dir, dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
				return false, fmt.Errorf("mkdir %s: %w", dir, err)
			}
			continue
		}
		if err != nil {
			return false, fmt.Errorf("lead keys: %w", err)
		}
		if !fi.IsDir() {
			return false, fmt.Errorf("refusing lead keys under %s: not a directory (%v): %w", dir, fi.Mode().Type(), ErrLeadKey)
		}
	}
	return true, nil
}

// readLeadKeyFile reads a key file without following a symlink and checks
// that it is a regular file holding agent's key.
func readLeadKeyFile(path, agent string) (LeadKey, bool, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return LeadKey{}, false, nil
	}
	if errors.Is(err, syscall.ELOOP) {
		return LeadKey{}, false, fmt.Errorf("refusing lead key %s: it is a symlink: %w", path, ErrLeadKey)
	}
	if err != nil {
		return LeadKey{}, false, fmt.Errorf("read lead key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return LeadKey{}, false, fmt.Errorf("read lead key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return LeadKey{}, false, fmt.Errorf("refusing lead key %s: not a regular file (%v): %w", path, fi.Mode().Type(), ErrLeadKey)
	}
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return LeadKey{}, false, fmt.Errorf("read lead key: %w", err)
	}
	var kf leadKeyFile
	if err := json.Unmarshal(data, &kf); err != nil {
		return LeadKey{}, false, fmt.Errorf("refusing lead key %s: %w: %v", path, ErrLeadKey, err)
	}
	seed, err := base64.RawURLEncoding.DecodeString(kf.Seed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return LeadKey{}, false, fmt.Errorf("refusing lead key %s: seed is not %d bytes of base64url: %w", path, ed25519.SeedSize, ErrLeadKey)
	}
	if kf.Agent != agent {
		return LeadKey{}, false, fmt.Errorf("refusing lead key %s: it is %q's, not %q's: %w", path, kf.Agent, agent, ErrLeadKey)
	}
	return LeadKey{Agent: agent, LaunchMS: kf.LaunchMS, Private: ed25519.NewKeyFromSeed(seed)}, true, nil
}
