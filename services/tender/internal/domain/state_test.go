package domain

import (
	"fmt"
	"testing"

	"gerbang/pkg/apperr"
)

// The machine of DESIGN.md, written out independently of Transitions():
// for every action, each state it starts from, where it leads and the actor
// allowed to take it.
type move struct {
	to State
	by Actor
}

var wantMoves = map[Action]map[State]move{
	ActionPublish:        {StateDraft: {StateAnnounced, ActorCommittee}},
	ActionStartTendering: {StateAnnounced: {StateTendering, ActorScheduler}},
	ActionCloseBidding:   {StateTendering: {StateOpening, ActorScheduler}},
	ActionFinishOpening:  {StateOpening: {StateEvaluation, ActorCommittee}},
	ActionProposeAward:   {StateEvaluation: {StateAwardProposed, ActorCommittee}},
	ActionAnnounceAward:  {StateAwardProposed: {StateObjectionPeriod, ActorCommittee}},
	ActionReevaluate:     {StateObjectionPeriod: {StateEvaluation, ActorCommittee}},
	ActionFinaliseAward:  {StateObjectionPeriod: {StateAwarded, ActorScheduler}},
	ActionRecordContract: {StateAwarded: {StateContracted, ActorCommittee}},
	ActionCancel: {
		StateDraft: {StateCancelled, ActorCommittee}, StateAnnounced: {StateCancelled, ActorCommittee},
		StateTendering: {StateCancelled, ActorCommittee}, StateOpening: {StateCancelled, ActorCommittee},
		StateEvaluation: {StateCancelled, ActorCommittee}, StateAwardProposed: {StateCancelled, ActorCommittee},
		StateObjectionPeriod: {StateCancelled, ActorCommittee}, StateAwarded: {StateCancelled, ActorCommittee},
	},
	ActionFail: {
		StateTendering: {StateFailed, ActorScheduler}, StateAnnounced: {StateFailed, ActorCommittee},
		StateOpening: {StateFailed, ActorCommittee}, StateEvaluation: {StateFailed, ActorCommittee},
		StateAwardProposed: {StateFailed, ActorCommittee}, StateObjectionPeriod: {StateFailed, ActorCommittee},
		StateAwarded: {StateFailed, ActorCommittee},
	},
}

// TestEveryTenderTransitionIsAllowedOnlyToItsActor walks every (action,
// state, actor): allowed moves pass for their actor only and lead where the
// design says; an action that does not start from the state is a Conflict
// naming the current state; a move of another actor is Forbidden.
func TestEveryTenderTransitionIsAllowedOnlyToItsActor(t *testing.T) {
	for action, edges := range wantMoves {
		for _, from := range AllStates() {
			for _, by := range AllActors() {
				t.Run(fmt.Sprintf("%s from %s by %s", action, from, by), func(t *testing.T) {
					to, err := Next(from, action, by)
					want, exists := edges[from]
					switch {
					case exists && want.by == by:
						if err != nil || to != want.to {
							t.Fatalf("got %q, %v; want %q", to, err, want.to)
						}
					case exists:
						if !apperr.Is(err, apperr.Forbidden) {
							t.Fatalf("got %v, want forbidden", err)
						}
					default:
						var e *apperr.Error
						if !apperrAs(err, &e) || e.Code != apperr.Conflict || e.Extra["current_state"] != string(from) {
							t.Fatalf("got %q, %v; want a conflict naming %s", to, err, from)
						}
					}
				})
			}
		}
	}
	actions := map[Action]bool{}
	for _, tr := range Transitions() {
		actions[tr.Action] = true
	}
	if len(actions) != len(wantMoves) {
		t.Fatalf("machine has %d actions, the design %d", len(actions), len(wantMoves))
	}
	if _, err := Next(StateDraft, "launch", ActorCommittee); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("unknown action: %v", err)
	}
}

// TestEveryStatePairIsOneActionAtMost: the table names each (from, to) once,
// so a move is refused or allowed for one reason only.
func TestEveryStatePairIsOneActionAtMost(t *testing.T) {
	seen := map[[2]State]Action{}
	for _, tr := range Transitions() {
		for _, from := range tr.From {
			if prev, ok := seen[[2]State{from, tr.To}]; ok {
				t.Errorf("%s -> %s is both %s and %s", from, tr.To, prev, tr.Action)
			}
			seen[[2]State{from, tr.To}] = tr.Action
		}
	}
}

func TestTerminalStatesHaveNoWayOut(t *testing.T) {
	for _, tr := range Transitions() {
		for _, from := range tr.From {
			if from.Terminal() {
				t.Errorf("terminal state %s has a move to %s", from, tr.To)
			}
		}
	}
}

func apperrAs(err error, target **apperr.Error) bool {
	e, ok := err.(*apperr.Error)
	if ok {
		*target = e
	}
	return ok
}
