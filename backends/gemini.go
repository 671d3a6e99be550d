package backends

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
func (c Config) geminiLaunch(bin string, t Teammate) (Launch, error) {
	argv := []string{bin, "--skip-trust"}
	if c.SkipPermissions {
		argv = append(argv, "--approval-mode", "yolo")
	} else {
		argv = append(argv, "--approval-mode", "auto_edit")
	}
	if m := foreignModel(t.Model); m != "" {
		argv = append(argv, "--model", m)
	}
	argv = append(argv, "--prompt-interactive", instructions(t))

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
