// Package policy is the supervisor's pure policy: restart decisions and
// backoff (RestartTracker), the spacing of a team's restarts
// (TeamRestarts), health from output times, screens and work facts
// (DeriveHealth, HealthTracker) with the reason in words (HealthReason),
// the budget of busy-screen reads (ReadBudget), what fixes a dialog
// (DialogAdvice, AutoModeRefusal) and lead notifications with their dedup,
// rate limit and wording (LeadNotifier). It has no tmux, no files and no
// goroutines: every function takes the time it should consider, so tests
// drive it on a fake clock. The owner loop (package supervisor) feeds it
// events and carries out its decisions.
//
// It may import protocol and backends (screen patterns), nothing else of
// ours.
package policy
