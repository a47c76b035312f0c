package procedure

import "time"

// ParticipationEnd returns when participation ended for good at now: the early
// close, or else the end of the last phase once every phase is over. It is
// zero for drafts, while a phase runs or is still to come, and while an
// open-ended phase has not been closed. Retention counts from it; the agency
// may still add a phase while the procedure is in evaluation, which is why
// callers keep a grace period.
func (p *Procedure) ParticipationEnd(now time.Time) time.Time {
	switch p.Status(now) {
	case StatusEvaluation, StatusConcluded, StatusArchived:
	default:
		return time.Time{}
	}
	if !p.ClosedAt.IsZero() && !now.Before(p.ClosedAt) {
		return p.ClosedAt
	}
	var end time.Time
	for _, ph := range p.Phases {
		if ph.Period.OpenEnded() {
			return time.Time{} // cannot have ended without an early close
		}
		if e := ph.Period.End.End(); e.After(end) {
			end = e
		}
	}
	if end.After(now) {
		return time.Time{}
	}
	return end
}
