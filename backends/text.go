package backends

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// instructions is the built-in first prompt of a teammate without a native
// team protocol (codex, gemini, opencode, command backends with
// "instructions": true). It is fixed text: the only values in it are the
// validated team and teammate names. The real prompt stays in the inbox.
func instructions(t Teammate) string {
	r := strings.NewReplacer("{name}", t.Name, "{team}", t.Team, "{agent_id}", t.AgentID, "{lead}", leadName)
	s := r.Replace(instructionText)
	if t.PlanModeRequired {
		s += " " + r.Replace(planText)
	}
	return s
}

const instructionText = `You are "{name}" (agent id {agent_id}), a teammate on the agent team "{team}" led by "{lead}". ` +
	`Coordinate with the team through the tools of the MCP server "` + MCPServerName + `". ` +
	`Your assignment is waiting in your inbox: call read_inbox with team_name="{team}" and agent_name="{name}" now, and do what it asks. ` +
	`Report progress and results to the lead with send_message (team_name="{team}", type="message", sender="{name}", recipient="{lead}", content, summary). ` +
	`Use task_list and task_update (team_name="{team}") to claim tasks (owner="{name}") and to mark them in_progress and completed. ` +
	`Call read_inbox again after every step. When you have nothing left to do, wait for the next message with poll_inbox (team_name="{team}", agent_name="{name}") and call it again whenever it times out: new instructions arrive there. ` +
	`If a message is a shutdown_request, wrap up and answer with send_message (type="shutdown_response", sender="{name}", request_id from that message, approve=true), then stop.`

// resumeInstructions is the first prompt of a resumed teammate without a
// native team protocol: its conversation already holds the full
// instruction and its work so far.
func resumeInstructions(t Teammate) string {
	r := strings.NewReplacer("{name}", t.Name, "{team}", t.Team, "{agent_id}", t.AgentID)
	return r.Replace(resumeText)
}

const resumeText = `You are "{name}" (agent id {agent_id}) on the agent team "{team}". You were restarted and your conversation so far is kept. ` +
	`Call read_inbox with team_name="{team}" and agent_name="{name}" now: a note about the restart and any new messages are there. Then carry on as before.`

const planText = `Plan mode is required: before you change anything, send your plan to "{lead}" and wait in your inbox for the approval.`

// toolTimeoutMS is the MCP tool-call timeout we give codex and opencode
// for our server: longer than poll_inbox's longest wait (10 minutes), so a
// teammate can wait for mail in one call (opencode's default is 5 s).
const toolTimeoutMS = 660_000

// claudeAliases are model names that mean a Claude model: the spawn tool's
// default is "sonnet", which tells nothing to other CLIs, so for them these
// mean "the CLI's configured default" and the model flag is left out.
var claudeAliases = []string{"sonnet", "opus", "haiku", "opusplan", "default", "best"}

// foreignModel returns the model to pass to a non-Claude CLI: "" for an
// empty model or a Claude alias (with or without a [1m] suffix).
func foreignModel(model string) string {
	base := strings.TrimSuffix(strings.ToLower(model), "[1m]")
	for _, a := range claudeAliases {
		if base == a {
			return ""
		}
	}
	return model
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
