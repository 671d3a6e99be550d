// Issue 13 with the newest Claude Code: claude-resume.mjs, whole, with the
// teammate run by Claude Code 2.1.332 (CLAUDE332_BIN) instead of the pinned
// 2.1.197.
import { inCI } from './lib-team.mjs';

const bin = process.env.CLAUDE332_BIN;
if (!bin) {
  process.stderr.write('claude332-resume: CLAUDE332_BIN is not set to Claude Code 2.1.332 (see .ci/run)\n');
  process.exit(inCI ? 1 : 77);
}
process.env.CLAUDE_BIN = bin;
await import('./claude-resume.mjs');
