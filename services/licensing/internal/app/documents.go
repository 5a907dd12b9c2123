package app

import (
	"context"
	"fmt"
	"gerbang/pkg/caller"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/services/licensing/internal/domain"
)

// requirementsOf returns what an application must carry: the frozen terms
// once submitted, the rules in force now for a draft.
func (s *Service) requirementsOf(ctx context.Context, a domain.Application) ([]domain.Requirement, error) {
	if a.Terms != nil {
		return a.Terms.Requirements, nil
	}
	d, err := s.store.Determine(ctx, a.KBLI, a.Scale, a.Size, s.clock.Now())
	if err != nil {
		return nil, err
	}
	return d.LicenseType.Requirements, nil
}

// UploadDocument stores a document for one requirement of the caller's
// application, while it is a draft or a revision is requested. The bytes
// are checked (sniffed type, size, whole file) before anything is kept; a
// failure after the blob is written removes it again.
func (s *Service) UploadDocument(ctx context.Context, c caller.Caller, applicationID, requirement, filename string, data []byte) (domain.Document, error) {
	if err := mustBeApplicant(c); err != nil {
		return domain.Document{}, err
	}
	if s.blobs == nil {
		return domain.Document{}, apperr.New(apperr.Unavailable, "the document store is not configured")
	}
	rec, err := s.store.Application(ctx, applicationID, c.Subject)
	if err != nil {
		return domain.Document{}, err
	}
	if err := domain.CanUploadIn(rec.State); err != nil {
		return domain.Document{}, err
	}
	reqs, err := s.requirementsOf(ctx, rec.Application)
	if err != nil {
		return domain.Document{}, err
	}
	req, err := domain.RequirementOf(reqs, requirement)
	if err != nil {
		return domain.Document{}, err
	}
	ct, sum, err := domain.CheckDocument(req, data)
	if err != nil {
		return domain.Document{}, err
	}
	key := fmt.Sprintf("documents/%s/%s", rec.ID, sum)
	created, err := s.blobs.Put(ctx, key, data)
	if err != nil {
		return domain.Document{}, err
	}
	var doc domain.Document
	err = s.store.InTx(ctx, func(tx Tx) error {
		locked, err := tx.LockApplication(ctx, rec.ID, c.Subject)
		if err != nil {
			return err
		}
		if err := domain.CanUploadIn(locked.State); err != nil { // submitted meanwhile
			return err
		}
		now := s.clock.Now()
		doc, err = tx.InsertDocument(ctx, domain.Document{
			ApplicationID: rec.ID, Requirement: req.Code, Filename: domain.CleanFilename(filename), ContentType: ct,
			SizeBytes: int64(len(data)), SHA256: sum, BlobKey: key, UploadedBy: c.Subject, UploadedAt: now,
		})
		if err != nil {
			return err
		}
		return tx.Audit(ctx, audit.Entry{
			Actor: c.Subject, ActorRoles: c.Roles, Action: "document.upload", EntityType: "application", EntityID: rec.ID,
			After:     map[string]any{"document_id": doc.ID, "requirement": doc.Requirement, "sha256": sum, "size_bytes": doc.SizeBytes, "content_type": ct},
			RequestID: c.RequestID, At: now,
		})
	})
	if err != nil && created {
		s.dropUnusedBlob(context.WithoutCancel(ctx), key)
	}
	return doc, err
}

// dropUnusedBlob removes a blob no document refers to.
func (s *Service) dropUnusedBlob(ctx context.Context, key string) {
	inUse := false
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		inUse, err = tx.BlobInUse(ctx, key)
		return err
	})
	if err == nil && !inUse {
		err = s.blobs.Delete(ctx, key)
	}
	if err != nil {
		s.log.WarnContext(ctx, "could not remove the blob of a failed upload", "key", key, "err", err)
	}
}

// Documents lists the documents of an application the caller may see.
func (s *Service) Documents(ctx context.Context, c caller.Caller, applicationID string) ([]domain.Document, error) {
	if _, err := s.store.Application(ctx, applicationID, ownerOf(c)); err != nil {
		return nil, err
	}
	return s.store.Documents(ctx, applicationID)
}

// DocumentContent returns a document and its bytes.
func (s *Service) DocumentContent(ctx context.Context, c caller.Caller, applicationID, documentID string) (domain.Document, []byte, error) {
	if _, err := s.store.Application(ctx, applicationID, ownerOf(c)); err != nil {
		return domain.Document{}, nil, err
	}
	d, err := s.store.Document(ctx, applicationID, documentID)
	if err != nil {
		return d, nil, err
	}
	if s.blobs == nil {
		return d, nil, apperr.New(apperr.Unavailable, "the document store is not configured")
	}
	b, err := s.blobs.Get(ctx, d.BlobKey)
	return d, b, err
}
