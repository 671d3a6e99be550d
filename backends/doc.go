// Package backends describes, as data, how to start each agent CLI as a
// teammate, and the screen patterns that tell when an agent waits for
// input (screens.go).
//
// Config.Launch returns argv words, extra environment and the working
// directory for one teammate; it builds no shell string, starts no process
// (but one cached probe per claude binary for --lead-verify-key, leadkey.go),
// reads no environment variable (cmd passes Config.Environ in) and imports
// no package of ours. Every teammate field is validated again (names,
// model, agent type, colour, absolute cwd) and ends up as one inert argv
// word; the spawn prompt never appears on a command line, only in the
// inbox.
//
// Built-in backends (flags checked against the real CLIs, see
// realcli_test.go):
//
//   - claude: Claude Code 2.1.197's native teammate flags (PROTOCOL.md §9),
//     CLAUDECODE=1 and CLAUDE_CODE_EXPERIMENTAL_AGENT_TEAMS=1, plus what
//     Claude Code passes to its own teammates when set (provider and
//     endpoint variables, proxies, CA bundles, CLAUDE_CONFIG_DIR).
//   - codex: the interactive Codex TUI (it stays up in its pane; `codex
//     exec` would end after one turn) with its claude-teams MCP server
//     given by -c overrides.
//   - opencode: the OpenCode TUI with the server in OPENCODE_CONFIG_CONTENT,
//     or `opencode run --attach` to OPENCODE_SERVER_URL.
//   - gemini: the interactive Gemini CLI; it needs claude-teams in the
//     user's Gemini MCP settings (it only trusts root-owned system files).
//
// The non-claude backends start with a fixed instruction naming the team,
// the teammate and the tools to use (read_inbox, send_message, task_list,
// task_update); their claude-teams MCP server learns whom it serves from
// CLAUDE_TEAMS_AGENT_NAME, CLAUDE_TEAMS_TEAM and CLAUDE_TEAMS_AGENT_ID.
// Users add other CLIs as command backends (CLAUDE_TEAMS_COMMAND_BACKENDS,
// see CommandSpec) with per-word placeholders.
//
// Conversations (session.go, transcript.go): a fresh claude, gemini or
// command launch gets a new session id (Launch.SessionID); a Teammate with
// SessionID and Resume continues that session when Config.Resumable finds
// its transcript holding a turn, else starts fresh with a new id and says
// why (Launch.FreshReason). Codex picks its own id: Config.FindSession
// finds it in Codex's rollout files. These two read (never write) the
// CLIs' own files and refuse symlinks and non-regular files. OpenCode
// picks its own id too and keeps it in a SQLite database: FindSession and
// Resumable run the opencode binary to read it (opencodesession.go; fixed
// argv, a timeout, bounded output, validated ids, Config.Run).
//
// Which backends a spawn may use: Config.Enabled (CLAUDE_TEAMS_BACKENDS),
// or by default every built-in and command backend, keeping those whose
// binary is on PATH; the connecting client's own backend comes first and
// is the default.
package backends
