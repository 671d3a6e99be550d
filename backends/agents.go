package backends

import (
	"encoding/json"
	"fmt"
)

// claudeLaunch builds the native teammate command of PROTOCOL.md §9, with
// the flags verified against Claude Code 2.1.197 (hidden options
// --agent-id, --agent-name, --team-name, --agent-color,
// --parent-session-id, --agent-type, --plan-mode-required). Empty optional
// values leave their flag out, as Claude Code does. The permission flags
// are those of claudePermissionArgs: like Claude Code,
// --dangerously-skip-permissions is left out when plan mode is required,
// since it would bypass the plan approval. The prompt never goes on the
// command line: the teammate reads it from its inbox.
//
// The conversation: --session-id <new uuid> on a fresh launch, --resume
// <uuid> to continue one (see session.go), after the teammate flags.
func (c Config) claudeLaunch(bin string, t Teammate, s session) Launch {
	argv := []string{bin,
		"--agent-id", t.AgentID,
		"--agent-name", t.Name,
		"--team-name", t.Team,
	}
	if t.Color != "" {
		argv = append(argv, "--agent-color", t.Color)
	}
	if t.LeadSessionID != "" {
		argv = append(argv, "--parent-session-id", t.LeadSessionID)
	}
	if t.AgentType != "" {
		argv = append(argv, "--agent-type", t.AgentType)
	}
	if t.Model != "" {
		argv = append(argv, "--model", t.Model)
	}
	argv = append(argv, c.claudePermissionArgs(t)...)
	argv = append(argv, s.claudeFlags()...)

	env := c.environ()
	var b envBuilder
	b.set("CLAUDECODE", "1")
	b.set("CLAUDE_CODE_EXPERIMENTAL_AGENT_TEAMS", "1")
	// Current Claude Code offers the task tools (TaskCreate, TaskUpdate…)
	// that work on the shared task list only with this (PROTOCOL.md §10).
	b.set("CLAUDE_CODE_ENABLE_TODO_TOOLS", "1")
	// CLAUDE_CONFIG_DIR moves Claude Code's whole state (.claude.json
	// included), so it is passed only when the caller set it explicitly.
	if v := env["CLAUDE_CONFIG_DIR"]; v != "" {
		if t.DataRoot != "" {
			v = t.DataRoot
		}
		b.set("CLAUDE_CONFIG_DIR", v)
	}
	b.pass(env, nil, commonPass, claudePass)
	return Launch{Argv: argv, Env: b.fixed}
}

// codexLaunch runs the interactive Codex TUI (not `codex exec`, which ends
// after one turn) so the teammate stays up in its pane and keeps polling
// its inbox. Its claude-teams MCP server comes from -c overrides (values
// parsed as TOML, verified with codex-cli 0.169.0): command, args, env and
// enabled are each set, so a user's own [mcp_servers.claude-teams] entry
// cannot leak its command or args into ours. Codex gives MCP servers only a
// short list of its own variables, so the identity and CLAUDE_CONFIG_DIR go
// in the entry's env.
//
// Permissions: -s workspace-write -a on-request (what --full-auto used to
// mean, and what the Python server used) lets the teammate work in its
// directory unattended; with SkipPermissions it gets
// --dangerously-bypass-approvals-and-sandbox instead.
//
// Resuming is `codex resume` with the same options, then the session id
// and a short instruction to read the inbox (checked with codex 0.169.0).
func (c Config) codexLaunch(bin string, t Teammate, s session) (Launch, error) {
	self, err := tomlString(c.Self)
	if err != nil {
		return Launch{}, fmt.Errorf("claude-teams path: %w", err)
	}
	env, err := tomlInlineTable(c.serverEnv(t))
	if err != nil {
		return Launch{}, fmt.Errorf("mcp server env: %w", err)
	}
	key := "mcp_servers." + MCPServerName + "."
	argv := []string{bin}
	if s.resume {
		argv = append(argv, "resume")
	}
	argv = append(argv,
		"-c", key+"command="+self,
		"-c", key+"args=[]",
		"-c", key+"env="+env,
		"-c", key+"enabled=true",
		"-c", fmt.Sprintf("%stool_timeout_sec=%d", key, toolTimeoutMS/1000),
	)
	// The lead chose the directory: trust it, or a git repository stops at
	// "Trust this folder?". Only the inline-table form skips the dialog
	// (codex-cli 0.169.0; the dotted projects."<cwd>".trust_level does not).
	cwd, err := tomlString(t.Cwd)
	if err != nil {
		return Launch{}, fmt.Errorf("cwd: %w", err)
	}
	argv = append(argv, "-c", "projects={"+cwd+`={trust_level="trusted"}}`)
	if c.SkipPermissions {
		argv = append(argv, "--dangerously-bypass-approvals-and-sandbox")
	} else {
		argv = append(argv, "--sandbox", "workspace-write", "--ask-for-approval", "on-request")
	}
	if m := foreignModel(t.Model); m != "" {
		argv = append(argv, "--model", m)
	}
	if s.resume {
		argv = append(argv, s.id)
	}
	argv = append(argv, s.instructions(t))

	var b envBuilder
	b.identity(t)
	b.pass(c.environ(), nil, commonPass, codexPass)
	return Launch{Argv: argv, Env: b.fixed}, nil
}

// openCodeLaunch runs the OpenCode TUI with the instruction as its first
// prompt (--prompt submits it at once; checked with opencode 1.18.33), and
// its claude-teams MCP server from OPENCODE_CONFIG_CONTENT, which opencode
// merges over the user's config as a local layer. A JSON object already in
// the caller's OPENCODE_CONFIG_CONTENT is kept, with our entry merged in.
//
// With OPENCODE_SERVER_URL set (like the Python server) the teammate
// attaches to that running server instead: `opencode run --attach URL
// --dir CWD --interactive` with the instruction (plain `opencode attach`
// takes no first prompt). That server must have a claude-teams MCP server
// of its own; the instruction names the team and teammate explicitly.
//
// subagent_type picks an opencode agent, except Claude's default
// "general-purpose"; SkipPermissions adds --auto.
//
// Resuming is `opencode run --session <id> --interactive` with a short
// instruction (local or attached): the TUI's --session ignores --prompt
// (checked with opencode 1.18.33).
func (c Config) openCodeLaunch(bin string, t Teammate, s session) (Launch, error) {
	var argv []string
	switch {
	case c.OpenCodeServerURL != "" && s.resume:
		argv = []string{bin, "run", "--attach", c.OpenCodeServerURL, "--dir", t.Cwd, "--interactive", "--session", s.id}
	case c.OpenCodeServerURL != "":
		argv = []string{bin, "run", "--attach", c.OpenCodeServerURL, "--dir", t.Cwd, "--interactive", "--title", t.AgentID}
	case s.resume:
		argv = []string{bin, "run", "--session", s.id, "--interactive"}
	default:
		argv = []string{bin}
	}
	if m := foreignModel(t.Model); m != "" {
		argv = append(argv, "--model", m)
	}
	if t.AgentType != "" && t.AgentType != "general-purpose" {
		argv = append(argv, "--agent", t.AgentType)
	}
	if c.SkipPermissions {
		argv = append(argv, "--auto")
	}
	if c.OpenCodeServerURL != "" || s.resume {
		argv = append(argv, s.instructions(t))
	} else {
		argv = append(argv, "--prompt", instructions(t))
	}

	env := c.environ()
	var b envBuilder
	b.identity(t)
	if c.OpenCodeServerURL == "" {
		content, err := c.openCodeConfig(env["OPENCODE_CONFIG_CONTENT"], t)
		if err != nil {
			return Launch{}, err
		}
		b.set("OPENCODE_CONFIG_CONTENT", content)
	}
	b.pass(env, []string{"OPENCODE_CONFIG_CONTENT"}, commonPass, openCodePass, providerPass)
	return Launch{Argv: argv, Env: b.fixed}, nil
}

// openCodeConfig returns the OPENCODE_CONFIG_CONTENT JSON with our MCP
// server entry, merged into base when base is a JSON object.
func (c Config) openCodeConfig(base string, t Teammate) (string, error) {
	cfg := map[string]any{}
	if base != "" {
		if err := json.Unmarshal([]byte(base), &cfg); err != nil || cfg == nil {
			cfg = map[string]any{}
		}
	}
	mcp, _ := cfg["mcp"].(map[string]any)
	if mcp == nil {
		mcp = map[string]any{}
	}
	mcp[MCPServerName] = map[string]any{
		"type":        "local",
		"command":     []string{c.Self},
		"environment": c.serverEnv(t),
		"enabled":     true,
		"timeout":     toolTimeoutMS,
	}
	cfg["mcp"] = mcp
	out, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// geminiLaunch runs the interactive Gemini CLI with the instruction as its
// first prompt (--prompt-interactive runs it and stays interactive;
// checked against @google/gemini-cli 0.61.0).
//
// Gemini CLI takes MCP servers only from settings files, and it ignores a
// system settings file (GEMINI_CLI_SYSTEM_SETTINGS_PATH) that is not owned
// by root along its whole path, so we cannot give it a file of ours. The
// user registers claude-teams once:
//
//	gemini mcp add --scope user --trust claude-teams /path/to/claude-teams
//
// and the teammate's identity reaches that server through the environment
// of the gemini process, which Gemini CLI passes on to its MCP servers
// (unless environment redaction is enabled; the instruction names the team
// and teammate explicitly anyway).
//
// --skip-trust trusts the teammate's directory for this session: the lead
// chose it, and an untrusted folder would stop at a dialog. Permissions:
// --approval-mode auto_edit, or yolo with SkipPermissions.
//
// The conversation: --session-id <new uuid> on a fresh launch, --resume
// <uuid> with a short instruction to continue one (gemini 0.61.0).
func (c Config) geminiLaunch(bin string, t Teammate, s session) (Launch, error) {
	argv := []string{bin, "--skip-trust"}
	if c.SkipPermissions {
		argv = append(argv, "--approval-mode", "yolo")
	} else {
		argv = append(argv, "--approval-mode", "auto_edit")
	}
	if m := foreignModel(t.Model); m != "" {
		argv = append(argv, "--model", m)
	}
	if s.resume {
		argv = append(argv, "--resume", s.id)
	} else if s.id != "" {
		argv = append(argv, "--session-id", s.id)
	}
	argv = append(argv, "--prompt-interactive", s.instructions(t))

	env := c.environ()
	var b envBuilder
	b.identity(t)
	if t.DataRoot != "" {
		b.set("CLAUDE_CONFIG_DIR", t.DataRoot)
	}
	for _, k := range sortedKeys(env) {
		if env[k] != "" && serverPass.match(k) {
			b.set(k, env[k])
		}
	}
	b.pass(env, nil, commonPass, geminiPass)
	return Launch{Argv: argv, Env: b.fixed}, nil
}
