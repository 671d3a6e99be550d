package backends

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// CommandSpec is a user-defined generic command backend, e.g. from
// CLAUDE_TEAMS_COMMAND_BACKENDS:
//
//	{"aider": {"argv": ["aider", "--model", "{model}"], "env": {"K": "V"}, "instructions": true}}
//
// Argv words after the first and Env values may hold placeholders, each
// substituted inside its own word, never re-split: {name} {team}
// {agent_id} {cwd} {model} {color} {agent_type} {lead_session_id}
// {data_root} {self} (the claude-teams binary, to give the CLI our MCP
// server), {instructions} (the built-in instruction text; after a resume
// the short one) and {session_id} (a new UUID on a fresh launch, the
// resumed session's id in resume_argv). "{{" and "}}" stand for literal
// braces.
//
// ResumeArgv, when set, is the command that continues a session (same
// rules as Argv, e.g. ["aider", "--restore-chat-history"] or
// ["mycli", "--resume", "{session_id}"]); without it the backend always
// starts fresh.
type CommandSpec struct {
	// Argv is the command; Argv[0] is looked up on PATH and holds no
	// placeholder.
	Argv []string `json:"argv"`
	// Env is extra environment for the teammate.
	Env map[string]string `json:"env,omitempty"`
	// Instructions appends the built-in instruction text (team, teammate
	// name, tools to use) as the last argv word, after Argv or ResumeArgv.
	Instructions bool `json:"instructions,omitempty"`
	// ResumeArgv is the command that resumes session {session_id};
	// ResumeArgv[0] is looked up on PATH like Argv[0].
	ResumeArgv []string `json:"resume_argv,omitempty"`
}

// placeholders are the names a CommandSpec may use inside braces.
var placeholders = []string{"name", "team", "agent_id", "cwd", "model", "color", "agent_type", "lead_session_id", "data_root", "self", "instructions", "session_id"}

// ParseCommandBackends parses CLAUDE_TEAMS_COMMAND_BACKENDS, a JSON object
// mapping backend names to CommandSpecs, and validates every spec (name,
// argv, placeholders, env keys). Blank text yields nil.
func ParseCommandBackends(jsonText string) (map[string]CommandSpec, error) {
	if strings.TrimSpace(jsonText) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(jsonText))
	dec.DisallowUnknownFields()
	var specs map[string]CommandSpec
	if err := dec.Decode(&specs); err != nil {
		return nil, fmt.Errorf("%w: CLAUDE_TEAMS_COMMAND_BACKENDS: %v (want {\"name\": {\"argv\": [...], \"env\": {...}, \"instructions\": bool, \"resume_argv\": [...]}})", ErrInvalidConfig, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: CLAUDE_TEAMS_COMMAND_BACKENDS: trailing data after the JSON object", ErrInvalidConfig)
	}
	for _, n := range sortedKeys(specs) {
		if err := validateCommand(n, specs[n]); err != nil {
			return nil, err
		}
	}
	if len(specs) == 0 {
		return nil, nil
	}
	return specs, nil
}

// validateCommand checks one command backend definition.
func validateCommand(name string, spec CommandSpec) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: command backend %q: %s", ErrInvalidConfig, name, fmt.Sprintf(format, args...))
	}
	if !backendNameRE.MatchString(name) {
		return bad("bad name (want %s)", backendNameRE)
	}
	if slices.Contains(builtins, name) {
		return bad("name is taken by a built-in backend")
	}
	if len(spec.Argv) == 0 || spec.Argv[0] == "" {
		return bad("argv is empty")
	}
	if strings.ContainsAny(spec.Argv[0], "{}") || hasControl(spec.Argv[0]) {
		return bad("argv[0] %q must be a plain program name or path, without placeholders", spec.Argv[0])
	}
	for i, w := range spec.Argv[1:] {
		if _, err := substitute(w, nil); err != nil {
			return bad("argv[%d] %q: %v", i+1, w, err)
		}
	}
	if spec.ResumeArgv != nil {
		if len(spec.ResumeArgv) == 0 || spec.ResumeArgv[0] == "" {
			return bad("resume_argv is empty (leave it out to always start fresh)")
		}
		if strings.ContainsAny(spec.ResumeArgv[0], "{}") || hasControl(spec.ResumeArgv[0]) {
			return bad("resume_argv[0] %q must be a plain program name or path, without placeholders", spec.ResumeArgv[0])
		}
		for i, w := range spec.ResumeArgv[1:] {
			if _, err := substitute(w, nil); err != nil {
				return bad("resume_argv[%d] %q: %v", i+1, w, err)
			}
		}
	}
	for _, k := range sortedKeys(spec.Env) {
		if !envKeyRE.MatchString(k) {
			return bad("env key %q is not a variable name", k)
		}
		if k == EnvAgentName || k == EnvTeam || k == EnvAgentID {
			return bad("env key %q is set by claude-teams", k)
		}
		if _, err := substitute(spec.Env[k], nil); err != nil {
			return bad("env %s=%q: %v", k, spec.Env[k], err)
		}
	}
	return nil
}

// substitute replaces the placeholders of word with their values; with
// vals nil it only checks the syntax. The result is always one word.
func substitute(word string, vals map[string]string) (string, error) {
	if strings.IndexByte(word, 0) >= 0 {
		return "", errors.New("contains a NUL byte")
	}
	var b bytes.Buffer
	for i := 0; i < len(word); i++ {
		ch := word[i]
		switch {
		case ch == '{' && i+1 < len(word) && word[i+1] == '{':
			b.WriteByte('{')
			i++
		case ch == '}' && i+1 < len(word) && word[i+1] == '}':
			b.WriteByte('}')
			i++
		case ch == '}':
			return "", fmt.Errorf("stray '}' at byte %d (write }} for a literal brace)", i)
		case ch == '{':
			end := strings.IndexByte(word[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated placeholder at byte %d (write {{ for a literal brace)", i)
			}
			key := word[i+1 : i+end]
			if !slices.Contains(placeholders, key) {
				return "", fmt.Errorf("unknown placeholder {%s} (known: {%s})", key, strings.Join(placeholders, "} {"))
			}
			b.WriteString(vals[key])
			i += end
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}

// commandLaunch builds a user-defined command backend's launch; a resume
// runs ResumeArgv (Config.Resumable allows it only when set).
func (c Config) commandLaunch(name, bin string, t Teammate, s session) (Launch, error) {
	spec := c.Commands[name]
	if err := validateCommand(name, spec); err != nil {
		return Launch{}, err
	}
	vals := map[string]string{
		"name": t.Name, "team": t.Team, "agent_id": t.AgentID, "cwd": t.Cwd,
		"model": t.Model, "color": t.Color, "agent_type": t.AgentType,
		"lead_session_id": t.LeadSessionID, "data_root": t.DataRoot,
		"self": c.Self, "instructions": s.instructions(t), "session_id": s.id,
	}
	words := spec.Argv
	if s.resume {
		words = spec.ResumeArgv
		p, err := c.lookPath(words[0])
		if err != nil {
			return Launch{}, fmt.Errorf("%w: resume_argv[0] %q not found on PATH: %v", ErrUnavailableBackend, words[0], err)
		}
		if bin, err = absPath(p); err != nil {
			return Launch{}, fmt.Errorf("%w: %q: %v", ErrUnavailableBackend, words[0], err)
		}
	}
	argv := []string{bin}
	for _, w := range words[1:] {
		s, err := substitute(w, vals)
		if err != nil {
			return Launch{}, err
		}
		argv = append(argv, s)
	}
	if spec.Instructions {
		argv = append(argv, vals["instructions"])
	}

	env := c.environ()
	var b envBuilder
	b.identity(t)
	for _, k := range sortedKeys(spec.Env) {
		v, err := substitute(spec.Env[k], vals)
		if err != nil {
			return Launch{}, err
		}
		b.set(k, v)
	}
	if v := env["CLAUDE_CONFIG_DIR"]; v != "" {
		if t.DataRoot != "" {
			v = t.DataRoot
		}
		b.set("CLAUDE_CONFIG_DIR", v)
	}
	b.pass(env, nil, commonPass, providerPass, serverPass)
	return Launch{Argv: argv, Env: b.fixed}, nil
}
