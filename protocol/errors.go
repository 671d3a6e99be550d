package protocol

import "errors"

// Sentinel errors. Operations wrap them with the team, member or task
// concerned; test for them with errors.Is.
var (
	// ErrInvalidName is wrapped by every *NameError.
	ErrInvalidName = errors.New("protocol: invalid name")
	// ErrTeamExists is returned when creating a team whose config.json exists.
	ErrTeamExists = errors.New("protocol: team already exists")
	// ErrTeamNotFound is returned when a team has no config.json.
	ErrTeamNotFound = errors.New("protocol: team not found")
	// ErrMemberExists is returned when adding a member whose name is taken.
	ErrMemberExists = errors.New("protocol: member already exists")
	// ErrMemberNotFound is returned when a named member is not in the config.
	ErrMemberNotFound = errors.New("protocol: member not found")
	// ErrTaskNotFound is returned when a task file does not exist.
	ErrTaskNotFound = errors.New("protocol: task not found")
	// ErrInvalidTask is returned for a refused task change: empty subject,
	// unknown status, status moving backwards, self reference, missing id,
	// cycle, or starting a task whose blocker is unfinished.
	ErrInvalidTask = errors.New("protocol: invalid task change")
	// ErrInvalidMessage is returned for a message missing its sender.
	ErrInvalidMessage = errors.New("protocol: invalid message")
	// ErrMessageTooLarge is returned for a message text over MaxMessageBytes.
	ErrMessageTooLarge = errors.New("protocol: message too large")
	// ErrCorrupt is returned when a file is not the JSON it should be and
	// cannot be set aside (config.json, a task file, or an inbox read
	// without a lock).
	ErrCorrupt = errors.New("protocol: corrupt file")
	// ErrLockTimeout is returned when a lock directory stays held by a live
	// holder for longer than the store's lock timeout.
	ErrLockTimeout = errors.New("protocol: lock timeout")
	// ErrLockLost is returned when a held lock directory vanished or was
	// replaced while we held it (someone judged it stale and broke it).
	ErrLockLost = errors.New("protocol: lock lost while held")
)
