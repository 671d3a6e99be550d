package backends

import (
	"maps"
	"slices"
	"sort"
	"strings"
)

// passList selects variables of Config.Environ to pass on to a teammate.
// A pane inherits the tmux server's environment, not ours, so whatever the
// agent needs from the caller's environment must be passed explicitly.
type passList struct {
	exact    []string
	prefixes []string
	suffixes []string
}

func (p passList) match(key string) bool {
	if slices.Contains(p.exact, key) {
		return true
	}
	for _, pre := range p.prefixes {
		if strings.HasPrefix(key, pre) {
			return true
		}
	}
	for _, suf := range p.suffixes {
		if strings.HasSuffix(key, suf) {
			return true
		}
	}
	return false
}

// commonPass goes to every backend: the basics of a working process,
// proxies in both cases, and the CA-bundle variables Claude Code itself
// passes to its teammates.
var commonPass = passList{exact: []string{
	"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
	"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
	"http_proxy", "https_proxy", "no_proxy", "all_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE",
	"CURL_CA_BUNDLE", "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE", "HTTPLIB2_CA_CERTS",
	"AWS_CA_BUNDLE", "DENO_CERT", "CARGO_HTTP_CAINFO", "PIP_CERT", "GIT_SSL_CAINFO",
	"GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "NIX_SSL_CERT_FILE", "HEX_CACERTS_PATH",
	"UV_NATIVE_TLS", "DENO_TLS_CA_STORE", "NODE_USE_SYSTEM_CA",
	"DO_NOT_TRACK",
}}

// claudePass is what Claude Code 2.1.197 passes to its own teammates
// (provider, endpoint and auth variables) plus the rest of the ANTHROPIC_*,
// AWS_* and Vertex family and a few useful switches. CLAUDE_CONFIG_DIR is
// handled apart (see Teammate.DataRoot).
var claudePass = passList{
	exact: []string{
		"CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_USE_FOUNDRY",
		"CLAUDE_CODE_USE_ANTHROPIC_AWS", "CLAUDE_CODE_USE_MANTLE",
		"CLAUDE_CODE_SKIP_BEDROCK_AUTH", "CLAUDE_CODE_SKIP_VERTEX_AUTH",
		"CLAUDE_CODE_SKIP_FOUNDRY_AUTH", "CLAUDE_CODE_SKIP_ANTHROPIC_AWS_AUTH",
		"CLAUDE_CODE_SKIP_MANTLE_AUTH", "CLAUDE_CODE_SUBAGENT_MODEL",
		"CLAUDE_CODE_REMOTE", "CLAUDE_CODE_REMOTE_MEMORY_DIR",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "CLAUDE_CODE_PROVIDER_MANAGED_BY_HOST",
		"CLAUDE_CODE_OAUTH_TOKEN", "CLAUDE_CODE_API_KEY_HELPER_TTL_MS",
		"CLAUDE_CODE_CLIENT_CERT", "CLAUDE_CODE_CLIENT_KEY", "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE",
		"CLAUDE_CODE_MAX_OUTPUT_TOKENS", "CLAUDE_SECURESTORAGE_CONFIG_DIR",
		"CLOUD_ML_REGION", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT",
		"GCLOUD_PROJECT", "CLOUDSDK_CONFIG",
		"DISABLE_AUTOUPDATER", "DISABLE_TELEMETRY", "DISABLE_ERROR_REPORTING",
		"DISABLE_GROWTHBOOK", "DISABLE_PROMPT_CACHING", "ENABLE_TOOL_SEARCH",
		"MAX_THINKING_TOKENS", "MCP_TIMEOUT", "MCP_TOOL_TIMEOUT",
	},
	prefixes: []string{"ANTHROPIC_", "AWS_", "VERTEX_REGION_"},
}

// providerPass carries model-provider credentials and endpoints for CLIs
// that can talk to many providers (opencode, command backends).
var providerPass = passList{
	exact:    []string{"GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG"},
	prefixes: []string{"ANTHROPIC_", "OPENAI_", "AZURE_OPENAI_", "AWS_", "GOOGLE_", "GEMINI_", "VERTEX_"},
	suffixes: []string{"_API_KEY", "_API_BASE", "_BASE_URL"},
}

var (
	codexPass    = passList{exact: []string{"CODEX_HOME"}, prefixes: []string{"OPENAI_", "AZURE_OPENAI_"}}
	geminiPass   = passList{exact: []string{"CLOUDSDK_CONFIG", "CLOUD_ML_REGION"}, prefixes: []string{"GEMINI_", "GOOGLE_"}}
	openCodePass = passList{prefixes: []string{"OPENCODE_"}}
	// serverPass is what a teammate's own claude-teams MCP server takes
	// from our environment: our configuration, so that it behaves like the
	// lead's server (and could take over supervision).
	serverPass = passList{exact: []string{"USE_TMUX_WINDOWS", "OPENCODE_SERVER_URL"}, prefixes: []string{"CLAUDE_TEAMS_"}}
)

// environ returns Config.Environ as a map; a later duplicate wins and
// entries without '=' are ignored.
func (c Config) environ() map[string]string {
	m := make(map[string]string, len(c.Environ))
	for _, kv := range c.Environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// envBuilder collects KEY=VALUE pairs: fixed ones in the order set, then
// pass-through ones sorted by key. The first value set for a key wins.
type envBuilder struct {
	fixed []string
	seen  map[string]bool
}

func (b *envBuilder) set(key, value string) {
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	if b.seen[key] {
		return
	}
	b.seen[key] = true
	b.fixed = append(b.fixed, key+"="+value)
}

// pass appends the non-empty variables of env that match any list, sorted,
// skipping keys already set and keys in skip.
func (b *envBuilder) pass(env map[string]string, skip []string, lists ...passList) {
	var keys []string
	for k, v := range env {
		if v == "" || b.seen[k] || slices.Contains(skip, k) {
			continue
		}
		for _, l := range lists {
			if l.match(k) {
				keys = append(keys, k)
				break
			}
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.set(k, env[k])
	}
}

// identityEnv sets the variables that tell a teammate's claude-teams MCP
// server whom it serves.
func (b *envBuilder) identity(t Teammate) {
	b.set(EnvAgentName, t.Name)
	b.set(EnvTeam, t.Team)
	b.set(EnvAgentID, t.AgentID)
}

// serverEnv is the environment of a teammate's own claude-teams MCP server:
// its identity, the data root, and our configuration variables, sorted.
func (c Config) serverEnv(t Teammate) map[string]string {
	env := c.environ()
	out := map[string]string{
		EnvAgentName: t.Name,
		EnvTeam:      t.Team,
		EnvAgentID:   t.AgentID,
	}
	if t.DataRoot != "" {
		out["CLAUDE_CONFIG_DIR"] = t.DataRoot
	} else if v := env["CLAUDE_CONFIG_DIR"]; v != "" {
		out["CLAUDE_CONFIG_DIR"] = v
	}
	for k, v := range env {
		// Odd names (not NAME_LIKE_THIS) cannot be TOML keys for codex.
		if _, set := out[k]; !set && v != "" && serverPass.match(k) && envKeyRE.MatchString(k) {
			out[k] = v
		}
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
