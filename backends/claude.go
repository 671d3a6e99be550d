package backends

// claudeLaunch builds the native teammate command of PROTOCOL.md §9, with
// the flags verified against Claude Code 2.1.197 (hidden options
// --agent-id, --agent-name, --team-name, --agent-color,
// --parent-session-id, --agent-type, --plan-mode-required). Empty optional
// values leave their flag out, as Claude Code does. Like Claude Code,
// --dangerously-skip-permissions is left out when plan mode is required,
// since it would bypass the plan approval. The prompt never goes on the
// command line: the teammate reads it from its inbox.
func (c Config) claudeLaunch(bin string, t Teammate) Launch {
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
	if t.PlanModeRequired {
		argv = append(argv, "--plan-mode-required")
	} else if c.SkipPermissions {
		argv = append(argv, "--dangerously-skip-permissions")
	}

	env := c.environ()
	var b envBuilder
	b.set("CLAUDECODE", "1")
	b.set("CLAUDE_CODE_EXPERIMENTAL_AGENT_TEAMS", "1")
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
