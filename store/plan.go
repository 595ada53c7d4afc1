package store

import "context"

// TaskPlan places a task seen at BaseVersion in a ranked list: its sprint and/or its
// place in the backlog or a sprint. One global rank (tasks.rank, the key the board
// orders columns by) orders every list; placing computes a rank between the target
// list's neighbours as they are now.
type TaskPlan struct {
	TaskID      string
	BaseVersion int
	Strict      bool        // HTTP If-Match: refuse with *PreconditionError unless at BaseVersion
	Sprint      Opt[string] // unset: stay in its list; "" = backlog; else a planned or active sprint id
	AfterID     string      // neighbours in the TARGET list, as in TaskMove
	BeforeID    string
	Step        Step // up/down/top/bottom within its list (instead of After/Before)
}

// PlanTask changes a task's sprint and/or its rank in its list. Only the sprint
// conflicts: if someone changed the task's sprint since BaseVersion and the user wants
// another sprint than it has now, that is a *ConflictError (Command "plan"), recorded
// and answerable like a move's. Re-ranking never conflicts.
func (s *Store) PlanTask(ctx context.Context, actor string, pl TaskPlan) (*TaskResult, error) {
	return nil, errNotYet
}
