package audit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Recorded is an audit record read back for an entity's history: its
// Before and After are the stored JSON as json.RawMessage, nil for none.
type Recorded struct {
	Entry
	ID int64
}

// trailLimit bounds how many records one Trail call returns: an entity's
// life takes tens of steps, never thousands.
const trailLimit = 1000

// Trail reads the audit records of one entity in the order they were
// written (committed or not yet sealed alike: the caller's transaction
// sees what it wrote), at most trailLimit of them.
func Trail(ctx context.Context, q sqlx.QueryerContext, entityType, entityID string) ([]Recorded, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT `+recordColumns+` FROM audit_record r
		WHERE r.entity_type = $1 AND r.entity_id = $2
		ORDER BY r.id
		LIMIT $3`, entityType, entityID, trailLimit)
	if err != nil {
		return nil, fmt.Errorf("audit: trail of %s %s: %w", entityType, entityID, err)
	}
	defer rows.Close()
	var out []Recorded
	for rows.Next() {
		var r storedRecord
		if err := rows.Scan(r.scanTargets()...); err != nil {
			return nil, fmt.Errorf("audit: trail of %s %s: %w", entityType, entityID, err)
		}
		out = append(out, Recorded{ID: r.ID, Entry: Entry{
			Actor: r.Actor, ActorRoles: []string(r.ActorRoles), Action: r.Action, EntityType: r.EntityType, EntityID: r.EntityID,
			Before: raw(r.Before), After: raw(r.After), RequestID: r.RequestID, At: r.At, Reason: r.Reason,
		}})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: trail of %s %s: %w", entityType, entityID, err)
	}
	return out, nil
}

// raw is stored JSON as a json.RawMessage, nil (not a typed nil) for none.
func raw(b []byte) any {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}
