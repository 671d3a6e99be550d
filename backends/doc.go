// Package backends describes, as data, how to start each agent CLI as a
// teammate: the argv, environment and working directory for claude, codex,
// opencode, gemini and user-defined command backends, plus the screen
// patterns that tell when an agent waits for input.
//
// It builds no shell strings, starts no processes and imports no package of
// ours.
package backends
