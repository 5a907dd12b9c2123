package blob

import (
	"bytes"
	"context"
	"testing"
)

type store interface {
	Put(ctx context.Context, key string, data []byte) (bool, error)
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

func TestBlobStoresKeepGetAndDeleteContentAddressedBlobs(t *testing.T) {
	ctx := context.Background()
	files, err := NewFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mem, err := OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	dir, err := OpenBucket(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	for name, s := range map[string]store{"files": files, "mem bucket": mem, "file bucket": dir} {
		key := "documents/app-1/abc"
		created, err := s.Put(ctx, key, []byte("one"))
		if err != nil || !created {
			t.Fatalf("%s: first put %v %v", name, created, err)
		}
		if created, err := s.Put(ctx, key, []byte("one")); err != nil || created {
			t.Fatalf("%s: second put %v %v", name, created, err)
		}
		if got, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, []byte("one")) {
			t.Fatalf("%s: get %q %v", name, got, err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("%s: delete %v", name, err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("%s: delete of a missing blob %v", name, err)
		}
		if _, err := s.Get(ctx, key); err == nil {
			t.Fatalf("%s: a deleted blob is still there", name)
		}
	}
	if _, err := files.Put(ctx, "../escape", []byte("x")); err == nil {
		t.Fatal("a key escaping the root was accepted")
	}
	if _, err := OpenBucket(ctx, "s3://gerbang-documents?region=ap-southeast-3"); err != nil {
		t.Fatalf("an S3 URL does not open: %v", err)
	}
}
