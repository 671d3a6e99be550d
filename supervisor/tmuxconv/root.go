package tmuxconv

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
)

// RootHash is 8 hex digits of the SHA-256 of a canonical data root: what
// tells two data roots apart in names shared between them (socket paths,
// control-client tags).
func RootHash(root string) string {
	sum := sha256.Sum256([]byte(root))
	return hex.EncodeToString(sum[:4])
}

// CanonicalRoot is the form of a data root that the status socket path hashes and that
// supervisors compare (PingResult.Root): absolute, clean, with symbolic
// links resolved where the path exists.
func CanonicalRoot(root string) string {
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		return real
	}
	return filepath.Clean(root)
}
