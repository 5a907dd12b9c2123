package domain

import (
	"fmt"
	"testing"

	"gerbang/pkg/apperr"
)

// The machine of DESIGN.md, written out independently of transitions():
// every allowed move and the actor allowed to make it.
var wantMoves = map[[2]State]Actor{
	{StateDraft, StateAnnounced}:               ActorCommittee,
	{StateAnnounced, StateTendering}:           ActorScheduler,
	{StateTendering, StateOpening}:             ActorScheduler,
	{StateOpening, StateEvaluation}:            ActorCommittee,
	{StateEvaluation, StateAwardProposed}:      ActorCommittee,
	{StateAwardProposed, StateObjectionPeriod}: ActorCommittee,
	{StateObjectionPeriod, StateEvaluation}:    ActorCommittee,
	{StateObjectionPeriod, StateAwarded}:       ActorScheduler,
	{StateAwarded, StateContracted}:            ActorCommittee,
	{StateDraft, StateCancelled}:               ActorCommittee,
	{StateAnnounced, StateCancelled}:           ActorCommittee,
	{StateTendering, StateCancelled}:           ActorCommittee,
	{StateOpening, StateCancelled}:             ActorCommittee,
	{StateEvaluation, StateCancelled}:          ActorCommittee,
	{StateAwardProposed, StateCancelled}:       ActorCommittee,
	{StateObjectionPeriod, StateCancelled}:     ActorCommittee,
	{StateAwarded, StateCancelled}:             ActorCommittee,
	{StateAnnounced, StateFailed}:              ActorCommittee,
	{StateTendering, StateFailed}:              ActorScheduler,
	{StateOpening, StateFailed}:                ActorCommittee,
	{StateEvaluation, StateFailed}:             ActorCommittee,
	{StateAwardProposed, StateFailed}:          ActorCommittee,
	{StateObjectionPeriod, StateFailed}:        ActorCommittee,
	{StateAwarded, StateFailed}:                ActorCommittee,
}

// TestEveryTransitionIsAllowedOnlyToItsActor walks every (from, to, actor)
// triple: allowed moves pass for their actor only; a move the machine lacks
// is a Conflict naming the current state; a move of another actor is
// Forbidden.
func TestEveryTransitionIsAllowedOnlyToItsActor(t *testing.T) {
	for _, from := range AllStates() {
		for _, to := range AllStates() {
			for _, by := range AllActors() {
				name := fmt.Sprintf("%s->%s by %s", from, to, by)
				t.Run(name, func(t *testing.T) {
					err := CheckTransition(from, to, by)
					allowed, exists := wantMoves[[2]State{from, to}]
					switch {
					case exists && allowed == by:
						if err != nil {
							t.Fatalf("refused an allowed move: %v", err)
						}
					case exists:
						if !apperr.Is(err, apperr.Forbidden) {
							t.Fatalf("got %v, want forbidden", err)
						}
					default:
						var e *apperr.Error
						if !apperr.Is(err, apperr.Conflict) {
							t.Fatalf("got %v, want conflict", err)
						}
						e = err.(*apperr.Error)
						if e.Extra["current_state"] != string(from) {
							t.Fatalf("current_state = %v, want %s", e.Extra["current_state"], from)
						}
					}
				})
			}
		}
	}
	if got := len(Transitions()); got != len(wantMoves) {
		t.Fatalf("machine has %d moves, the design %d", got, len(wantMoves))
	}
}

func TestTerminalStatesHaveNoWayOut(t *testing.T) {
	for _, tr := range Transitions() {
		if tr.From.Terminal() {
			t.Errorf("terminal state %s has a move to %s", tr.From, tr.To)
		}
	}
}
