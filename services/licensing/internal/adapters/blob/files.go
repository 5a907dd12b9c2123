// Package blob keeps document bytes in a blob store: local files by
// default (under the service's data directory).
package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Files is a blob store on the local file system.
type Files struct {
	root string
}

// NewFiles returns a store rooted at dir (created if missing).
func NewFiles(dir string) (*Files, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blob store %s: %w", dir, err)
	}
	return &Files{root: dir}, nil
}

func (f *Files) path(key string) (string, error) {
	if key == "" || strings.Contains(key, "..") || strings.HasPrefix(key, "/") {
		return "", fmt.Errorf("blob key %q is not a relative path", key)
	}
	return filepath.Join(f.root, filepath.FromSlash(key)), nil
}

// Put stores data under key, written aside and renamed into place so a
// reader never sees half a blob. It reports whether the key was new (a
// blob of the same key is content-addressed and left as it is).
func (f *Files) Put(_ context.Context, key string, data []byte) (created bool, err error) {
	p, err := f.path(key)
	if err != nil {
		return false, err
	}
	if _, err := os.Stat(p); err == nil {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return false, fmt.Errorf("put blob %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".blob-*")
	if err != nil {
		return false, fmt.Errorf("put blob %s: %w", key, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, fmt.Errorf("put blob %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, fmt.Errorf("put blob %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("put blob %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return false, fmt.Errorf("put blob %s: %w", key, err)
	}
	return true, nil
}

// Get returns the blob under key.
func (f *Files) Get(_ context.Context, key string) ([]byte, error) {
	p, err := f.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	return b, nil
}

// Delete removes the blob under key; a missing blob is not an error.
func (f *Files) Delete(_ context.Context, key string) error {
	p, err := f.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", key, err)
	}
	return nil
}
