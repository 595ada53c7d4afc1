package store

import (
	"context"
	"slices"
	"sort"
	"time"
)

// DefaultVelocitySprints is how many completed sprints the velocity report shows when
// not asked for another number.
const DefaultVelocitySprints = 7

// VelocitySprint is one completed sprint's line of the velocity report, in the report's
// unit, taken from the sprint's report at its latest completion.
type VelocitySprint struct {
	SprintID    string    `json:"sprint_id"`
	Number      int       `json:"number"`
	Name        string    `json:"name"`
	CompletedAt time.Time `json:"completed_at"`
	// AsOf is the sprint report's position (its latest completion); Version its number.
	AsOf    int64 `json:"as_of"`
	Version int   `json:"version"`
	// Committed is the commitment at start; Added, Removed the scope changes after it;
	// Reestimated the net change of re-estimates (after minus before, may be negative);
	// Final is what the sprint held at completion (completed + completed outside + not
	// completed), always Committed + Added − Removed + Reestimated: for a reopened
	// sprint, the tasks an undone completion carried out count as removed, and what
	// changed while it was completed counts too (see reportFold.tentative); Completed
	// what was done in it.
	Committed   float64 `json:"committed"`
	Added       float64 `json:"added"`
	Removed     float64 `json:"removed"`
	Reestimated float64 `json:"reestimated"`
	Final       float64 `json:"final"`
	Completed   float64 `json:"completed"`
}

// VelocityReport is a project's velocity over its last completed sprints.
type VelocityReport struct {
	ProjectID string     `json:"project_id"`
	Unit      ReportUnit `json:"unit"`
	// Asked is the number of sprints asked for (0: all); Available how many completed
	// sprints the project has.
	Asked     int `json:"asked"`
	Available int `json:"available"`
	// Sprints are the last completed sprints, oldest completion first (in log order).
	Sprints []VelocitySprint `json:"sprints"`
	// Average and Median of Completed over Sprints (0 when there are none).
	Average float64 `json:"average"`
	Median  float64 `json:"median"`
}

// Velocity composes the velocity report of a project's last n completed sprints (n 0:
// all of them) from each sprint's report at its latest completion: a completed
// sprint's report is frozen, so this is a pure function of the log as of its end.
// Sprints are ordered by their latest completion's position in the log.
func (s *Store) Velocity(ctx context.Context, projectID string, unit ReportUnit, n int) (*VelocityReport, error) {
	unit, err := validUnit(unit)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, invalidField("sprints", "The number of sprints must be 1 or more (or all).")
	}
	sprints, err := s.Sprints(ctx, projectID)
	if err != nil {
		return nil, err
	}
	// Ordered by their latest completion's position in the log: the log's order is the
	// order things happened in, whatever the clocks said.
	type completed struct {
		id  string
		seq int64
	}
	var done []completed
	for _, sp := range sprints {
		if sp.State != SprintCompleted {
			continue
		}
		seqs, err := s.SprintReportVersions(ctx, sp.ID)
		if err != nil {
			return nil, err
		}
		if len(seqs) > 0 {
			done = append(done, completed{sp.ID, seqs[len(seqs)-1]})
		}
	}
	sort.Slice(done, func(i, j int) bool { return done[i].seq < done[j].seq })
	v := &VelocityReport{ProjectID: projectID, Unit: unit, Asked: n, Available: len(done), Sprints: []VelocitySprint{}}
	if n > 0 && len(done) > n {
		done = done[len(done)-n:]
	}
	for _, sp := range done {
		r, err := s.SprintReport(ctx, sp.id, unit, 0)
		if err != nil {
			return nil, err
		}
		v.Sprints = append(v.Sprints, velocityLine(r))
	}
	v.Average, v.Median = averageMedian(v.Sprints)
	return v, nil
}

// velocityLine is a sprint's velocity line from its report.
func velocityLine(r *SprintReport) VelocitySprint {
	l := VelocitySprint{SprintID: r.SprintID, Number: r.Number, Name: r.Name, AsOf: r.AsOf, Version: r.Version,
		Committed: r.Totals[BucketCommitted], Added: r.Totals[BucketAdded], Removed: r.Totals[BucketRemoved],
		Completed: r.Totals[BucketCompleted]}
	if r.CompletedAt != nil {
		l.CompletedAt = *r.CompletedAt
	}
	for _, ch := range r.Reestimated {
		l.Reestimated += ch.To - ch.From
	}
	l.Final = r.Totals[BucketCompleted] + r.Totals[BucketCompletedOutside] + r.Totals[BucketNotCompleted]
	return l
}

// averageMedian of the completed values.
func averageMedian(lines []VelocitySprint) (avg, med float64) {
	if len(lines) == 0 {
		return 0, 0
	}
	vals := make([]float64, len(lines))
	var sum float64
	for i, l := range lines {
		vals[i] = l.Completed
		sum += l.Completed
	}
	slices.Sort(vals)
	n := len(vals)
	if n%2 == 1 {
		med = vals[n/2]
	} else {
		med = (vals[n/2-1] + vals[n/2]) / 2
	}
	return sum / float64(n), med
}
