// Package domain holds the tender service's rules: the tender state machine,
// who may move it, the sealing of bids, receipts, and the evaluation methods.
// It imports nothing of the infrastructure.
package domain

import (
	"gerbang/pkg/apperr"
)

// State is where a tender stands in its life.
type State string

// The tender states of DESIGN.md, after SPSE and ProZorro.
const (
	StateDraft           State = "draft"
	StateAnnounced       State = "announced"        // clarification Q&A open
	StateTendering       State = "tendering"        // bids accepted
	StateOpening         State = "opening"          // deadline passed, bids await the committee's opening
	StateEvaluation      State = "evaluation"       // bids opened, the committee scores them
	StateAwardProposed   State = "award_proposed"   // ranking recorded, winner proposed
	StateObjectionPeriod State = "objection_period" // sanggah: bidders may object
	StateAwarded         State = "awarded"
	StateContracted      State = "contracted"
	StateCancelled       State = "cancelled"
	StateFailed          State = "failed"
)

// AllStates lists every state, in the order of the machine.
func AllStates() []State {
	return []State{StateDraft, StateAnnounced, StateTendering, StateOpening, StateEvaluation,
		StateAwardProposed, StateObjectionPeriod, StateAwarded, StateContracted, StateCancelled, StateFailed}
}

// Terminal reports whether no move leaves s.
func (s State) Terminal() bool {
	return s == StateContracted || s == StateCancelled || s == StateFailed
}

// Valid reports whether s is one of the states.
func (s State) Valid() bool {
	for _, v := range AllStates() {
		if v == s {
			return true
		}
	}
	return false
}

// Actor is who attempts a move: a member of the tender's committee (a
// procurement officer named on it), the scheduler (moves made by the clock),
// or anyone else.
type Actor string

const (
	ActorCommittee Actor = "committee"
	ActorScheduler Actor = "scheduler"
	ActorOther     Actor = "other"
)

// AllActors lists every actor.
func AllActors() []Actor { return []Actor{ActorCommittee, ActorScheduler, ActorOther} }

type edge struct{ from, to State }

// transitions is the tender machine: each allowed move and the one actor
// allowed to make it. Deadlines are moved by the clock only, so the
// time-driven moves belong to the scheduler and to nobody else.
func transitions() map[edge]Actor {
	m := map[edge]Actor{
		{StateDraft, StateAnnounced}:               ActorCommittee, // publish
		{StateAnnounced, StateTendering}:           ActorScheduler, // bid period starts
		{StateTendering, StateOpening}:             ActorScheduler, // bid deadline passes
		{StateOpening, StateEvaluation}:            ActorCommittee, // bids opened
		{StateEvaluation, StateAwardProposed}:      ActorCommittee, // ranking and proposed winner
		{StateAwardProposed, StateObjectionPeriod}: ActorCommittee, // award announced, sanggah opens
		{StateObjectionPeriod, StateEvaluation}:    ActorCommittee, // an upheld objection
		{StateObjectionPeriod, StateAwarded}:       ActorScheduler, // objection period ends, every objection answered
		{StateAwarded, StateContracted}:            ActorCommittee, // contract record
		{StateTendering, StateFailed}:              ActorScheduler, // deadline passes with too few bids
	}
	// Cancelled (with a reason) from any active state, by the committee.
	for _, s := range []State{StateDraft, StateAnnounced, StateTendering, StateOpening, StateEvaluation,
		StateAwardProposed, StateObjectionPeriod, StateAwarded} {
		m[edge{s, StateCancelled}] = ActorCommittee
	}
	// Failed (with a reason) from any published active state, by the
	// committee: too few bids at the opening, all disqualified, an upheld
	// objection. The scheduler fails a tender at the deadline (above).
	for _, s := range []State{StateAnnounced, StateOpening, StateEvaluation,
		StateAwardProposed, StateObjectionPeriod, StateAwarded} {
		m[edge{s, StateFailed}] = ActorCommittee
	}
	return m
}

// Transition is one allowed move of the machine.
type Transition struct {
	From, To State
	By       Actor
}

// Transitions lists every allowed move (for documentation and tests).
func Transitions() []Transition {
	var out []Transition
	for _, from := range AllStates() {
		for _, to := range AllStates() {
			if by, ok := transitions()[edge{from, to}]; ok {
				out = append(out, Transition{From: from, To: to, By: by})
			}
		}
	}
	return out
}

// CheckTransition says whether actor may move a tender from one state to
// another. A move the machine does not have is a Conflict carrying
// current_state; a move that exists but belongs to another actor is
// Forbidden (the scheduler's moves are refused to every person).
func CheckTransition(from, to State, by Actor) error {
	allowed, ok := transitions()[edge{from, to}]
	if !ok {
		return apperr.New(apperr.Conflict, "a tender in state %s cannot move to %s", from, to).
			With("current_state", string(from))
	}
	if allowed != by {
		if allowed == ActorScheduler {
			return apperr.New(apperr.Forbidden, "the move from %s to %s is made by the clock, not by a request", from, to).
				With("current_state", string(from))
		}
		return apperr.New(apperr.Forbidden, "only the tender's committee may move it from %s to %s", from, to).
			With("current_state", string(from))
	}
	return nil
}
