package procedure

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"beteiligungsportal/domain"
)

const maxPhases = 20

// minYear is the earliest year of a phase's dates: receipt numbers carry
// the year from 2000 on, and PostgreSQL has no year 0.
const minYear = 2000

// checkSchedule applies the rules every schedule must meet, and reports every
// broken one with the phase it concerns, named by its index in phases.
func (p *Procedure) checkSchedule(phases []Phase) error {
	var v domain.ValidationError
	if len(phases) > maxPhases {
		v.Add("phases", "procedure.too_many_phases")
	}
	for i, ph := range phases {
		want, fixed := audiences[ph.Kind]
		switch {
		case !fixed:
			v.Add(phaseField(i, "kind"), "procedure.phase_kind_invalid")
		case p.Type.formal() == (ph.Kind == KindParticipation):
			// §3/§4 steps belong to plans; everything else has generic phases.
			v.Add(phaseField(i, "kind"), "procedure.phase_kind_type")
		case want != "" && ph.Audience != want:
			v.Add(phaseField(i, "audience"), "procedure.audience_fixed")
		case ph.Audience != AudiencePublic && ph.Audience != AudienceInvited:
			v.Add(phaseField(i, "audience"), "procedure.audience_invalid")
		}
		if utf8.RuneCountInString(ph.Title) > maxShort {
			v.Add(phaseField(i, "title"), "too_long")
		}
		if len(ph.InvitedBodies) > 0 && ph.Audience != AudienceInvited {
			v.Add(phaseField(i, "invited_bodies"), "procedure.invite_public_phase")
		}
		// A body is invited to a phase once (the store keys invitations by both).
		invited := make(map[uuid.UUID]bool, len(ph.InvitedBodies))
		for k, body := range ph.InvitedBodies {
			if invited[body] {
				v.Add(fmt.Sprintf("%s[%d]", phaseField(i, "invited_bodies"), k), "duplicate")
			}
			invited[body] = true
		}
		per := ph.Period
		switch {
		case per.Start.IsZero():
			v.Add(phaseField(i, "start"), "procedure.start_required")
			continue
		case per.Start.Year < minYear:
			v.Add(phaseField(i, "start"), "procedure.date_too_early")
			continue
		case per.OpenEnded() && p.Type != TypeDefectReporting && p.Type != TypeDialog:
			v.Add(phaseField(i, "end"), "procedure.end_required")
		case !per.OpenEnded() && per.End.Before(per.Start):
			v.Add(phaseField(i, "end"), "procedure.period_reversed")
		}
		if ph.Kind == KindPublication && !per.OpenEnded() && !lastsAMonth(per) {
			v.Add(phaseField(i, "end"), "procedure.publication_too_short")
		}
		if ph.Kind == KindPublication && p.Type == TypeLandUsePlan {
			switch {
			case ph.AnnouncedOn.IsZero():
				v.Add(phaseField(i, "announced_on"), "procedure.announcement_missing")
			case !ph.AnnouncedOn.Before(per.Start):
				v.Add(phaseField(i, "announced_on"), "procedure.announcement_late")
			}
		}
		if !ph.AnnouncedOn.IsZero() && ph.AnnouncedOn.Year < minYear {
			v.Add(phaseField(i, "announced_on"), "procedure.date_too_early")
		}
		for j := range i {
			if phases[j].Audience == ph.Audience && !phases[j].Period.Start.IsZero() && phases[j].Period.Overlaps(per) {
				v.Add(phaseField(i, "start"), "procedure.phases_overlap")
				break
			}
		}
	}
	return v.Err()
}

// lastsAMonth applies §3 Abs. 2 BauGB: publication for one month, but at least
// 30 days. A month from 01.03. ends on 31.03. (§§187, 188 BGB).
func lastsAMonth(p Period) bool {
	return p.Days() >= 30 && !p.End.Before(p.Start.AddMonths(1).AddDays(-1))
}

// PhaseInput is a phase as an agency schedules it; ID is uuid.Nil for a new phase.
type PhaseInput struct {
	Phase
	// Reason explains shortening a running period or reopening a closed one.
	Reason string
}

// SetPhase adds a phase or replaces the one with the same ID. Once published, the
// past cannot be rewritten: a started phase keeps its kind, audience and start,
// and a phase cannot begin before today. Shortening a running period or reopening
// an ended one needs a reason, which is recorded with every change of an end.
func (p *Procedure) SetPhase(in PhaseInput, by uuid.UUID, now time.Time) (Phase, error) {
	if err := p.changeable(now); err != nil {
		return Phase{}, err
	}
	ph := in.Phase
	ph.Title = strings.TrimSpace(ph.Title)
	next := slices.Clone(p.Phases)
	idx := slices.IndexFunc(next, func(x Phase) bool { return x.ID == ph.ID })
	var change *PeriodChange
	if ph.ID == uuid.Nil || idx < 0 {
		if ph.ID != uuid.Nil {
			return Phase{}, ErrPhaseNotFound
		}
		ph.ID = uuid.Must(uuid.NewV7())
		next = append(next, ph)
		idx = len(next) - 1
		if !p.IsDraft() && ph.Period.Start.Before(Today(now)) {
			return Phase{}, pastErr(idx, "start")
		}
	} else {
		old := next[idx]
		next[idx] = ph
		var err error
		if change, err = p.checkChange(idx, old, ph, in.Reason, now); err != nil {
			return Phase{}, err
		}
	}
	// Check before sorting: the field paths then count the phases as the client
	// read them (the schedule as listed, a new phase last), not where the change
	// would move them.
	if err := p.checkSchedule(next); err != nil {
		return Phase{}, err
	}
	sortPhases(next)
	if change != nil {
		change.By = by
		p.PeriodChanges = append(p.PeriodChanges, *change)
	}
	p.Phases = next
	p.touch(now)
	return ph, nil
}

// checkChange applies the rules for changing a phase of a published procedure and
// returns the period change to record, if any.
func (p *Procedure) checkChange(i int, old, ph Phase, reason string, now time.Time) (*PeriodChange, error) {
	if p.IsDraft() {
		return nil, nil
	}
	today := Today(now)
	if !old.Period.Start.After(today) { // started
		if ph.Kind != old.Kind || ph.Audience != old.Audience || ph.Period.Start != old.Period.Start || ph.AnnouncedOn != old.AnnouncedOn {
			return nil, pastErr(i, "start")
		}
	} else {
		if ph.Period.Start.Before(today) {
			return nil, pastErr(i, "start")
		}
		return nil, nil
	}
	if ph.Period.End == old.Period.End {
		return nil, nil
	}
	ended := !old.Period.OpenEnded() && old.Period.End.Before(today)
	newEndsInPast := !ph.Period.OpenEnded() && ph.Period.End.Before(today)
	switch {
	case newEndsInPast:
		return nil, pastErr(i, "end")
	case ended: // reopening
		if err := requireReason(reason); err != nil {
			return nil, err
		}
	case old.Period.OpenEnded() || ph.Period.End.Before(old.Period.End): // shortening
		if err := requireReason(reason); err != nil {
			return nil, err
		}
	}
	return &PeriodChange{PhaseID: old.ID, OldEnd: old.Period.End, NewEnd: ph.Period.End,
		Reason: strings.TrimSpace(reason), At: now.UTC()}, nil
}

// RemovePhase deletes a phase that has not started (any phase of a draft). A
// published procedure keeps at least one phase.
func (p *Procedure) RemovePhase(id uuid.UUID, now time.Time) error {
	if err := p.changeable(now); err != nil {
		return err
	}
	i := slices.IndexFunc(p.Phases, func(x Phase) bool { return x.ID == id })
	if i < 0 {
		return ErrPhaseNotFound
	}
	if !p.IsDraft() && !p.Phases[i].Period.Start.After(Today(now)) {
		return pastErr(i, "start")
	}
	if !p.IsDraft() && len(p.Phases) == 1 {
		return ErrLastPhase
	}
	p.Phases = slices.Delete(slices.Clone(p.Phases), i, i+1)
	p.touch(now)
	return nil
}

func (p *Procedure) changeable(now time.Time) error {
	switch {
	case p.finished(now):
		return ErrFinished
	case !p.ClosedAt.IsZero():
		return ErrClosedEarly
	}
	return nil
}

func pastErr(i int, field string) error {
	return &domain.ValidationError{Fields: []domain.FieldError{{Field: phaseField(i, field), Code: "procedure.past_period"}}}
}

// sortPhases puts phases in the order the store lists them, by first day and
// then by ID, so that a client counts them the same way in every answer.
func sortPhases(ps []Phase) {
	slices.SortFunc(ps, func(a, b Phase) int {
		if c := a.Period.Start.Start().Compare(b.Period.Start.Start()); c != 0 {
			return c
		}
		return bytes.Compare(a.ID[:], b.ID[:])
	})
}
