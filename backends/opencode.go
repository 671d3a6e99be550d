package backends

import (
	"encoding/json"
)

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
func (c Config) openCodeLaunch(bin string, t Teammate) (Launch, error) {
	var argv []string
	if c.OpenCodeServerURL != "" {
		argv = []string{bin, "run", "--attach", c.OpenCodeServerURL, "--dir", t.Cwd, "--interactive", "--title", t.AgentID}
	} else {
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
	if c.OpenCodeServerURL != "" {
		argv = append(argv, instructions(t))
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
	}
	cfg["mcp"] = mcp
	out, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	return string(out), nil
}
