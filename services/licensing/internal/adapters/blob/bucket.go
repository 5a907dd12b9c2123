package blob

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:///path
	_ "gocloud.dev/blob/memblob"  // mem:// (tests)
	_ "gocloud.dev/blob/s3blob"   // s3://bucket?region=...&endpoint=...&use_path_style=true (S3, MinIO, ...)
	"gocloud.dev/gcerrors"
)

// Bucket is a blob store behind a Go CDK URL: S3-compatible storage in
// production (s3://bucket?region=ap-southeast-3, or with endpoint= and
// use_path_style=true for MinIO and the like), file:// or mem:// otherwise.
type Bucket struct {
	b *blob.Bucket
}

// OpenBucket opens the bucket at url.
func OpenBucket(ctx context.Context, url string) (*Bucket, error) {
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open blob bucket: %w", err)
	}
	return &Bucket{b: b}, nil
}

// Close releases the bucket.
func (k *Bucket) Close() error { return k.b.Close() }

// Put stores data under key unless a blob is there already (keys are
// content-addressed), and reports whether it wrote one.
func (k *Bucket) Put(ctx context.Context, key string, data []byte) (bool, error) {
	exists, err := k.b.Exists(ctx, key)
	if err != nil {
		return false, fmt.Errorf("put blob %s: %w", key, err)
	}
	if exists {
		return false, nil
	}
	opts := &blob.WriterOptions{ContentType: http.DetectContentType(data)}
	if err := k.b.Upload(ctx, key, bytes.NewReader(data), opts); err != nil {
		return false, fmt.Errorf("put blob %s: %w", key, err)
	}
	return true, nil
}

// Get returns the blob under key.
func (k *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := k.b.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	return b, nil
}

// Delete removes the blob under key; a missing blob is not an error.
func (k *Bucket) Delete(ctx context.Context, key string) error {
	if err := k.b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("delete blob %s: %w", key, err)
	}
	return nil
}
