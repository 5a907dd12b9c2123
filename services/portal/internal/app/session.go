package app

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
)

// Extend gives the signed-in account id a fresh token, so that a person
// warned that the session is about to end can keep working (WCAG 2.2.1). A
// disabled or deleted account gets an apperr Unauthenticated.
func (l *Login) Extend(ctx context.Context, id uuid.UUID) (Token, error) {
	acc, err := l.Accounts.ByID(ctx, id)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return Token{}, apperr.New(apperr.Unauthenticated, "the account no longer exists")
	case err != nil:
		return Token{}, fmt.Errorf("extend session of %s: %w", id, err)
	}
	if acc.Disabled {
		return Token{}, apperr.New(apperr.Unauthenticated, "the account is disabled")
	}
	tok, err := l.mint(acc)
	if err != nil {
		return Token{}, fmt.Errorf("extend session of %s: %w", id, err)
	}
	return tok, nil
}
