// Package domain holds the tender service's rules: the tender and bid state
// machines, who may move them, when a tender takes bids and from whom, what
// the public sees of a tender, the sealing of bids, receipts, and the
// evaluation methods. It imports nothing of the infrastructure.
package domain

import (
	"slices"
	"strings"

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
func (s State) Valid() bool { return slices.Contains(AllStates(), s) }

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

// Action is a move of the tender machine.
type Action string

const (
	ActionPublish        Action = "publish"         // committee: draft -> announced
	ActionStartTendering Action = "start_tendering" // scheduler, bid period begins: announced -> tendering
	ActionCloseBidding   Action = "close_bidding"   // scheduler, deadline passed: tendering -> opening
	ActionFinishOpening  Action = "finish_opening"  // committee, bids opened: opening -> evaluation
	ActionProposeAward   Action = "propose_award"   // committee: evaluation -> award_proposed
	ActionAnnounceAward  Action = "announce_award"  // committee, sanggah opens: award_proposed -> objection_period
	ActionReevaluate     Action = "reevaluate"      // committee, an upheld objection: objection_period -> evaluation
	ActionFinaliseAward  Action = "finalise_award"  // scheduler, objection period over: objection_period -> awarded
	ActionRecordContract Action = "record_contract" // committee: awarded -> contracted
	ActionCancel         Action = "cancel"          // committee, with a reason: any active state -> cancelled
	ActionFail           Action = "fail"            // with a reason: the scheduler at the deadline, the committee after publication
)

// activeStates are the states a tender may be cancelled from.
var activeStates = []State{StateDraft, StateAnnounced, StateTendering, StateOpening, StateEvaluation,
	StateAwardProposed, StateObjectionPeriod, StateAwarded}

// Transition is one row of the machine: action, from any of From, by
// Actor, to To. An action has several rows when its actor depends on the
// state it starts from (fail).
type Transition struct {
	Action Action
	From   []State
	To     State
	Actor  Actor
}

// Transitions returns the tender machine, every row with the one actor
// allowed to take it. Deadlines are moved by the clock only, so the
// time-driven moves belong to the scheduler and to nobody else.
func Transitions() []Transition {
	return []Transition{
		{ActionPublish, []State{StateDraft}, StateAnnounced, ActorCommittee},
		{ActionStartTendering, []State{StateAnnounced}, StateTendering, ActorScheduler},
		{ActionCloseBidding, []State{StateTendering}, StateOpening, ActorScheduler},
		{ActionFinishOpening, []State{StateOpening}, StateEvaluation, ActorCommittee},
		{ActionProposeAward, []State{StateEvaluation}, StateAwardProposed, ActorCommittee},
		{ActionAnnounceAward, []State{StateAwardProposed}, StateObjectionPeriod, ActorCommittee},
		{ActionReevaluate, []State{StateObjectionPeriod}, StateEvaluation, ActorCommittee},
		{ActionFinaliseAward, []State{StateObjectionPeriod}, StateAwarded, ActorScheduler},
		{ActionRecordContract, []State{StateAwarded}, StateContracted, ActorCommittee},
		{ActionCancel, activeStates, StateCancelled, ActorCommittee},
		// The deadline passes with no bid.
		{ActionFail, []State{StateTendering}, StateFailed, ActorScheduler},
		// Too few bids at the opening, all disqualified, an upheld objection.
		{ActionFail, []State{StateAnnounced, StateOpening, StateEvaluation, StateAwardProposed,
			StateObjectionPeriod, StateAwarded}, StateFailed, ActorCommittee},
	}
}

// Next returns the state that action by actor leads to from current. An
// action the machine does not start from current is a Conflict carrying
// current_state; one that starts there but belongs to another actor is
// Forbidden (the scheduler's moves are refused to every person).
func Next(current State, action Action, by Actor) (State, error) {
	known := false
	for _, t := range Transitions() {
		if t.Action != action {
			continue
		}
		known = true
		if !slices.Contains(t.From, current) {
			continue
		}
		if t.Actor == by {
			return t.To, nil
		}
		if t.Actor == ActorScheduler {
			return "", apperr.New(apperr.Forbidden, "the move from %s to %s is made by the clock, not by a request", current, t.To).
				With("current_state", string(current))
		}
		return "", apperr.New(apperr.Forbidden, "only the tender's committee may move it from %s to %s", current, t.To).
			With("current_state", string(current))
	}
	if !known {
		return "", apperr.New(apperr.Invalid, "unknown action %q", action)
	}
	return "", apperr.New(apperr.Conflict, "a tender in state %s cannot %s", current, strings.ReplaceAll(string(action), "_", " ")).
		With("current_state", string(current))
}
