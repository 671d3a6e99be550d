package main

// helpText is printed by `claude-teams help`; testdata/cli/help.golden holds a
// copy (go test -run TestHelp -update-cli rewrites it).
const helpText = `claude-teams: agent teams for Claude Code, Codex, OpenCode and Gemini CLI,
with a supervisor that notices when a teammate dies.

Usage:
  claude-teams [serve] [flags]    run the MCP server on stdin/stdout
                                  (this is what an MCP client starts)
  claude-teams supervisor ...     inspect and control supervised teammates
                                  (claude-teams supervisor help)
  claude-teams version            print the version
  claude-teams help               print this help

Serve flags:
  -config-dir DIR    data root (default $CLAUDE_CONFIG_DIR, else ~/.claude)
  -log-file FILE     also write JSON logs to FILE (default $CLAUDE_TEAMS_LOG_FILE)
  -log-level LEVEL   debug, info, warn or error (default $CLAUDE_TEAMS_LOG_LEVEL, else info)
  -restart POLICY    default restart policy of teammates: never, on-failure
                     or always (default $CLAUDE_TEAMS_RESTART, else never)

Environment:
  CLAUDE_CONFIG_DIR                          data root (default ~/.claude)
  CLAUDE_TEAMS_BACKENDS                      teammate CLIs to offer, comma separated
                                             (claude, codex, opencode, gemini, ...)
  CLAUDE_TEAMS_COMMAND_BACKENDS              extra command backends, as JSON
  CLAUDE_TEAMS_DANGEROUSLY_SKIP_PERMISSIONS  start claude teammates with
                                             --dangerously-skip-permissions
  CLAUDE_TEAMS_PERMISSION_MODE               --permission-mode of claude teammates
                                             (default default)
  CLAUDE_TEAMS_SIGN_LEAD                     0 starts claude teammates without a lead
                                             key (default 1: lead entries signed)
  OPENCODE_SERVER_URL                        opencode server for opencode teammates
  USE_TMUX_WINDOWS                           one tmux window per teammate instead
                                             of splitting the lead's window
  CLAUDE_TEAMS_TMUX_SOCKET                   private tmux socket name when the lead
                                             is not in tmux (default claude-teams)
  CLAUDE_TEAMS_RESTART                       default restart policy (default never)
  CLAUDE_TEAMS_LOG_FILE                      also write logs to this file
  CLAUDE_TEAMS_LOG_LEVEL                     log level (default info)
  CLAUDE_TEAMS_STALL_AFTER                   silence that makes a busy teammate
                                             stalled (default 10m)
  CLAUDE_TEAMS_IDLE_AFTER                    silence that makes a teammate idle
                                             (default 30s)
  CLAUDE_TEAMS_START_TIMEOUT                 longest wait for a CLI's ready
                                             screen (default 60s)
  CLAUDE_TEAMS_NOTIFY_EVERY                  lead notifications: one more per
  CLAUDE_TEAMS_NOTIFY_BURST                  this interval (default 30s), at most
                                             this many at once (default 5)
  CLAUDE_TEAMS_AGENT_NAME, CLAUDE_TEAMS_TEAM set by claude-teams for a teammate's
                                             own server: the teammate it serves
  TMUX, TMUX_PANE                            read to place teammates beside a lead
                                             that runs inside tmux

Logs are JSON on stderr; stdout carries only MCP messages.
Documentation: https://github.com/f9449b24/claude-teams
`
