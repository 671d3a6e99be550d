package backends

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

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
func (c Config) codexLaunch(bin string, t Teammate) (Launch, error) {
	self, err := tomlString(c.Self)
	if err != nil {
		return Launch{}, fmt.Errorf("claude-teams path: %w", err)
	}
	env, err := tomlInlineTable(c.serverEnv(t))
	if err != nil {
		return Launch{}, fmt.Errorf("mcp server env: %w", err)
	}
	key := "mcp_servers." + MCPServerName + "."
	argv := []string{bin,
		"-c", key + "command=" + self,
		"-c", key + "args=[]",
		"-c", key + "env=" + env,
		"-c", key + "enabled=true",
	}
	if c.SkipPermissions {
		argv = append(argv, "--dangerously-bypass-approvals-and-sandbox")
	} else {
		argv = append(argv, "--sandbox", "workspace-write", "--ask-for-approval", "on-request")
	}
	if m := foreignModel(t.Model); m != "" {
		argv = append(argv, "--model", m)
	}
	argv = append(argv, instructions(t))

	var b envBuilder
	b.identity(t)
	b.pass(c.environ(), nil, commonPass, codexPass)
	return Launch{Argv: argv, Env: b.fixed}, nil
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8", s)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// tomlInlineTable renders m as a TOML inline table with sorted bare keys.
func tomlInlineTable(m map[string]string) (string, error) {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		if !envKeyRE.MatchString(k) {
			return "", fmt.Errorf("bad key %q", k)
		}
		v, err := tomlString(m[k])
		if err != nil {
			return "", err
		}
		parts = append(parts, k+"="+v)
	}
	return "{" + strings.Join(parts, ", ") + "}", nil
}
