package http

import "github.com/google/uuid"

// mustUUID parses an id the database produced (always a UUID).
func mustUUID(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}
