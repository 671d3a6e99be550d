package protocol

import "encoding/json"

// memberModeKey is the key of a member's permission mode in config.json,
// the one Claude Code's own lead writes for its teammates.
const memberModeKey = "mode"

// PermissionMode returns the member's permission mode ("mode" in
// config.json), or "" when it has none or it is not a string.
func (m Member) PermissionMode() string {
	var mode string
	if raw, ok := m.Extra[memberModeKey]; ok {
		if json.Unmarshal(raw, &mode) != nil {
			return ""
		}
	}
	return mode
}

// SetPermissionMode records the member's permission mode as "mode" in
// config.json; "" removes it.
func (m *Member) SetPermissionMode(mode string) {
	if mode == "" {
		delete(m.Extra, memberModeKey)
		return
	}
	raw, _ := json.Marshal(mode) // a string always encodes
	if m.Extra == nil {
		m.Extra = map[string]json.RawMessage{}
	}
	m.Extra[memberModeKey] = raw
}
