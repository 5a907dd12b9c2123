package http

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/pkg/caller"
	"gerbang/services/licensing/internal/domain"
	"gerbang/services/licensing/internal/ports/http/oapi"
)

// maxUpload bounds what one upload part may hold, above every
// requirement's own limit; the route's body limit is set to match.
const maxUpload = 21 << 20

func toDocument(d domain.Document) oapi.Document {
	return oapi.Document{
		ID: mustUUID(d.ID), ApplicationID: mustUUID(d.ApplicationID), Requirement: d.Requirement, Filename: d.Filename,
		ContentType: oapi.DocumentContentType(d.ContentType), SizeBytes: d.SizeBytes, Sha256: d.SHA256, UploadedAt: d.UploadedAt.UTC(),
	}
}

// readUpload reads the requirement field and the file part of an upload.
func readUpload(r *multipart.Reader) (requirement, filename string, data []byte, err error) {
	bad := func(field, msg string) error {
		return apperr.InvalidFields("the upload is not a valid multipart form", apperr.Field(field, "%s", msg))
	}
	seenFile := false
	for {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", "", nil, bad("body", "the multipart body is malformed or cut short")
		}
		switch part.FormName() {
		case "requirement":
			b, err := io.ReadAll(io.LimitReader(part, 200))
			if err != nil {
				return "", "", nil, bad("requirement", "could not be read")
			}
			requirement = string(b)
		case "file":
			b, err := io.ReadAll(io.LimitReader(part, maxUpload+1))
			if err != nil {
				return "", "", nil, bad("file", "the file part is cut short")
			}
			if len(b) > maxUpload {
				return "", "", nil, apperr.New(apperr.TooLarge, "the file is larger than any requirement accepts (%d bytes)", maxUpload)
			}
			data, filename, seenFile = b, part.FileName(), true
		}
		part.Close()
	}
	if requirement == "" {
		return "", "", nil, bad("requirement", "name the requirement this file is for")
	}
	if !seenFile {
		return "", "", nil, bad("file", "attach the file")
	}
	return requirement, filename, data, nil
}

func (s *Server) UploadDocument(ctx context.Context, r oapi.UploadDocumentRequestObject) (oapi.UploadDocumentResponseObject, error) {
	if r.Body == nil {
		return nil, apperr.New(apperr.Unsupported, "send the document as multipart/form-data")
	}
	requirement, filename, data, err := readUpload(r.Body)
	if err != nil {
		return nil, err
	}
	d, err := s.svc.UploadDocument(ctx, caller.From(ctx), r.ID.String(), requirement, filename, data)
	if err != nil {
		return nil, err
	}
	return oapi.UploadDocument201JSONResponse(toDocument(d)), nil
}

func (s *Server) ListDocuments(ctx context.Context, r oapi.ListDocumentsRequestObject) (oapi.ListDocumentsResponseObject, error) {
	ds, err := s.svc.Documents(ctx, caller.From(ctx), r.ID.String())
	if err != nil {
		return nil, err
	}
	out := oapi.ListDocuments200JSONResponse{Items: make([]oapi.Document, len(ds))}
	for i, d := range ds {
		out.Items[i] = toDocument(d)
	}
	return out, nil
}

// documentContent answers with the document's own (sniffed) content type.
type documentContent struct {
	doc  domain.Document
	data []byte
}

func (d documentContent) VisitGetDocumentContentResponse(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, d.doc.ContentType)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", d.doc.Filename))
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Digest", "sha-256="+d.doc.SHA256)
	return c.Status(fiber.StatusOK).Send(d.data)
}

func (s *Server) GetDocumentContent(ctx context.Context, r oapi.GetDocumentContentRequestObject) (oapi.GetDocumentContentResponseObject, error) {
	d, data, err := s.svc.DocumentContent(ctx, caller.From(ctx), r.ID.String(), r.DocumentID.String())
	if err != nil {
		return nil, err
	}
	return documentContent{doc: d, data: bytes.Clone(data)}, nil
}
