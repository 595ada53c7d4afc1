package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tack-pm/tack/store/rank"
)

// logGenerator makes a realistic event log for replay tests and benchmarks: a few
// projects with members, a board of tasks each, then mostly moves and edits, with
// conflicts and their answers, archiving and restoring, workflow changes (and refused
// ones) and membership changes. It keeps the state it needs to make valid events (the
// fold refuses an event on a task that does not exist, a member who is not a user).
type logGenerator struct {
	r        *rand.Rand
	now      time.Time
	users    []string
	projects []*genProject
	tasks    []*genTask
	versions map[string]int // stream → its last version
	pending  []genPending   // recorded conflicts not answered yet
	counts   map[string]int // events made, by type
}

type genProject struct {
	id, key string
	columns []Column
	members map[string]Role
	editors []string // members who may change tasks, in the order they joined
	number  int      // the last task number
	sprints []*genSprint
}

type genSprint struct {
	id    string
	state SprintState
}

type genTask struct {
	*Task
	project  *genProject
	worklogs []*genWorklog
}

type genWorklog struct {
	id, author, date, start, comment string
	seconds                          int64
	version                          int
}

type genPending struct {
	task  *genTask
	actor string
	seq   int64
	move  bool
}

// emitFunc appends one event at version expected+1 of stream and projects it.
type emitFunc func(stream string, expected int, actor string, at time.Time, p Payload) (Event, error)

func newLogGenerator(seed uint64) *logGenerator {
	return &logGenerator{
		r:        rand.New(rand.NewPCG(seed, seed^0x5eed)),
		now:      time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
		versions: map[string]int{},
		counts:   map[string]int{},
	}
}

func (g *logGenerator) emit(emit emitFunc, stream, actor string, p Payload) (Event, error) {
	g.now = g.now.Add(time.Duration(1+g.r.IntN(30_000)) * time.Millisecond)
	e, err := emit(stream, g.versions[stream], actor, g.now, p)
	if err != nil {
		return e, fmt.Errorf("generate %s on %s: %w", p.EventType(), stream, err)
	}
	g.versions[stream]++
	g.counts[p.EventType()]++
	return e, nil
}

// setup registers users, creates projects with members and tasks: about
// users + projects×(1+members+tasksPerProject) events.
func (g *logGenerator) setup(emit emitFunc, users, projects, tasksPerProject int) error {
	for i := range users {
		id := newID()
		if _, err := g.emit(emit, userStream(id), id, &UserRegistered{
			Email: fmt.Sprintf("user%d@gen.tack", i), Name: fmt.Sprintf("User %d", i)}); err != nil {
			return err
		}
		g.users = append(g.users, id)
	}
	for i := range projects {
		p := &genProject{id: newID(), key: fmt.Sprintf("P%c", 'A'+i), members: map[string]Role{}}
		for _, name := range []string{"To Do", "In Progress", "In Review", "Done"} {
			p.columns = append(p.columns, Column{ID: newID(), Name: name})
		}
		owner := g.users[i%len(g.users)]
		if _, err := g.emit(emit, projectStream(p.id), owner, &ProjectCreated{Key: p.key, Name: "Project " + p.key, Columns: p.columns}); err != nil {
			return err
		}
		g.projects = append(g.projects, p)
		if err := g.addMember(emit, p, owner, owner, RoleAdmin); err != nil {
			return err
		}
		for _, u := range g.users {
			if u != owner && g.r.IntN(2) == 0 {
				if err := g.addMember(emit, p, owner, u, []Role{RoleMember, RoleMember, RoleViewer}[g.r.IntN(3)]); err != nil {
					return err
				}
			}
		}
		for range tasksPerProject {
			if err := g.createTask(emit, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *logGenerator) addMember(emit emitFunc, p *genProject, actor, user string, role Role) error {
	if _, err := g.emit(emit, projectStream(p.id), actor, &MemberAdded{UserID: user, Role: role}); err != nil {
		return err
	}
	p.members[user] = role
	if role.CanEdit() {
		p.editors = append(p.editors, user)
	}
	return nil
}

func (g *logGenerator) editor(p *genProject) string {
	return p.editors[g.r.IntN(len(p.editors))]
}

func (g *logGenerator) createTask(emit emitFunc, p *genProject) error {
	p.number++
	id := newID()
	c := &TaskCreated{ProjectID: p.id, Number: p.number, Title: fmt.Sprintf("Task %d of %s", p.number, p.key),
		Type: TaskTypes[g.r.IntN(len(TaskTypes))], Priority: Priorities[g.r.IntN(len(Priorities))],
		ColumnID: p.columns[g.r.IntN(len(p.columns))].ID, Rank: g.rank(p)}
	if g.r.IntN(3) == 0 {
		c.AssigneeID = g.editor(p)
	}
	if g.r.IntN(2) == 0 {
		pts := float64(g.r.IntN(8))
		c.Points = &pts
	}
	e, err := g.emit(emit, taskStream(id), g.editor(p), c)
	if err != nil {
		return err
	}
	t, err := applyTask(nil, e, c)
	if err != nil {
		return err
	}
	g.tasks = append(g.tasks, &genTask{Task: t, project: p})
	return nil
}

// rank returns a rank between two of the project's tasks, as a drop between neighbours makes.
func (g *logGenerator) rank(p *genProject) string {
	var lo, hi string
	if len(g.tasks) > 1 {
		a, b := g.tasks[g.r.IntN(len(g.tasks))], g.tasks[g.r.IntN(len(g.tasks))]
		if a.project == p && b.project == p {
			lo, hi = min(a.Rank, b.Rank), max(a.Rank, b.Rank)
		}
	}
	if lo == hi {
		hi = ""
	}
	r, err := rank.Between(lo, hi)
	if err != nil || len(r) > 16 {
		r, _ = rank.Between("", "")
	}
	return r
}

// step makes one user action: one event, or two when an answer applies a refused change.
func (g *logGenerator) step(emit emitFunc) error {
	t := g.tasks[g.r.IntN(len(g.tasks))]
	p := t.project
	actor := g.editor(p)
	switch k := g.r.IntN(1000); {
	case k < 560:
		return g.move(emit, t, actor)
	case k < 600:
		return g.timeTracking(emit, t, actor)
	case k < 640:
		return g.sprint(emit, t, actor) // 4%: a run of 3,000 events starts, completes and reopens sprints
	case k < 900:
		return g.edit(emit, t, actor)
	case k < 940:
		return g.conflict(emit, t, actor)
	case k < 965:
		if len(g.pending) == 0 {
			return g.move(emit, t, actor)
		}
		return g.answer(emit)
	case k < 980:
		if t.Archived {
			return g.taskEvent(emit, t, actor, &TaskRestored{})
		}
		return g.taskEvent(emit, t, actor, &TaskArchived{})
	case k < 985:
		return g.createTask(emit, p)
	case k < 992:
		return g.workflow(emit, p)
	default:
		return g.membership(emit, p)
	}
}

var genDates = []string{"2025-12-31", "2026-01-02", "2026-01-05", "2026-01-06"}

// timeTracking makes one time tracking action on t: an estimate (which sets the
// remaining estimate when there is none), a remaining estimate set or cleared, work
// logged, a worklog edited or deleted (each with any remaining-estimate choice), or a
// refused worklog edit.
func (g *logGenerator) timeTracking(emit emitFunc, t *genTask, actor string) error {
	adjust := Adjusts[g.r.IntN(len(Adjusts))]
	if adjust == AdjustReduce && t.Remaining == nil {
		adjust = AdjustAuto
	}
	var by int64
	if adjust == AdjustSet || adjust == AdjustReduce {
		by = int64(g.r.IntN(16)) * 1800
	}
	seconds := func() int64 { return int64(1+g.r.IntN(16)) * 900 }
	k := g.r.IntN(10)
	if len(t.worklogs) == 0 && k >= 5 {
		// Edit or delete a worklog of some task that has one, if any does.
		from := g.r.IntN(len(g.tasks))
		for j := range g.tasks {
			if o := g.tasks[(from+j)%len(g.tasks)]; len(o.worklogs) > 0 {
				t, actor = o, g.editor(o.project)
				break
			}
		}
		if len(t.worklogs) == 0 {
			k = 4
		}
	}
	switch {
	case k < 2:
		var to *int64
		if g.r.IntN(5) > 0 {
			v := int64(g.r.IntN(40)) * 3600
			to = &v
		}
		e := &TaskEstimated{From: t.Estimate, To: to}
		if t.Remaining == nil && to != nil {
			r := max(0, *to-t.Logged)
			e.RemainingTo = &r
		}
		return g.taskEvent(emit, t, actor, e)
	case k < 3:
		var to *int64
		if g.r.IntN(4) > 0 {
			v := int64(g.r.IntN(20)) * 1800
			to = &v
		}
		return g.taskEvent(emit, t, actor, &TaskRemainingChanged{From: t.Remaining, To: to})
	case k < 5:
		sec := seconds()
		w := &genWorklog{id: newID(), author: actor, date: genDates[g.r.IntN(len(genDates))], seconds: sec, version: 1}
		logged := &WorkLogged{WorklogID: w.id, Date: w.date, Seconds: sec, Adjust: adjust, AdjustBy: by,
			RemainingFrom: t.Remaining, RemainingTo: nextRemaining(t.Remaining, sec, adjust, by)}
		if g.r.IntN(3) == 0 {
			logged.Start, logged.Comment = "09:30", "Paired on it"
			w.start, w.comment = logged.Start, logged.Comment
		}
		if err := g.taskEvent(emit, t, actor, logged); err != nil {
			return err
		}
		t.worklogs = append(t.worklogs, w)
		return nil
	}
	i := g.r.IntN(len(t.worklogs))
	w := t.worklogs[i]
	switch {
	case k < 8:
		e := &WorklogEdited{WorklogID: w.id, Version: w.version + 1, Author: w.author, Adjust: adjust, AdjustBy: by}
		var delta int64
		switch g.r.IntN(4) {
		case 0:
			e.Date = &StringChange{From: w.date, To: genDates[g.r.IntN(len(genDates))]}
			w.date = e.Date.To
		case 1:
			e.Comment = &StringChange{From: w.comment, To: fmt.Sprintf("note %d", g.r.IntN(100))}
			e.Start = &StringChange{From: w.start, To: []string{"", "14:00"}[g.r.IntN(2)]}
			w.comment, w.start = e.Comment.To, e.Start.To
		default:
			e.Seconds = &Int64Change{From: w.seconds, To: seconds()}
			delta = e.Seconds.To - e.Seconds.From
			w.seconds = e.Seconds.To
		}
		e.RemainingFrom, e.RemainingTo = t.Remaining, nextRemaining(t.Remaining, delta, adjust, by)
		if err := g.taskEvent(emit, t, actor, e); err != nil {
			return err
		}
		w.version++
		return nil
	case k < 9:
		if adjust == AdjustReduce {
			adjust, by = AdjustLeave, 0
		}
		d := &WorklogDeleted{WorklogID: w.id, Author: w.author, Date: w.date, Seconds: w.seconds, Adjust: adjust, AdjustBy: by,
			RemainingFrom: t.Remaining, RemainingTo: nextRemaining(t.Remaining, -w.seconds, adjust, by)}
		if err := g.taskEvent(emit, t, actor, d); err != nil {
			return err
		}
		t.worklogs = slices.Delete(t.worklogs, i, i+1)
		return nil
	}
	_, err := g.emit(emit, conflictStream(t.ID), actor, &WorklogConflicted{WorklogID: w.id, Author: w.author,
		BaseVersion: max(1, w.version-1), CurrentVersion: w.version, Fields: []string{worklogSeconds},
		Yours: map[string]any{worklogSeconds: 3600}, Theirs: map[string]any{worklogSeconds: w.seconds},
		ChangedBy: actor, ChangedAt: g.now})
	return err
}

func (g *logGenerator) taskEvent(emit emitFunc, t *genTask, actor string, p Payload) error {
	e, err := g.emit(emit, taskStream(t.ID), actor, p)
	if err != nil {
		return err
	}
	next, err := applyTask(t.Task, e, p)
	if err != nil {
		return err
	}
	t.Task = next
	return nil
}

func (g *logGenerator) move(emit emitFunc, t *genTask, actor string) error {
	to := t.ColumnID
	if g.r.IntN(3) > 0 {
		to = t.project.columns[g.r.IntN(len(t.project.columns))].ID
	}
	m := &TaskMoved{FromColumn: t.ColumnID, ToColumn: to, FromRank: t.Rank, ToRank: g.rank(t.project)}
	if other := g.tasks[g.r.IntN(len(g.tasks))]; other.project == t.project && other != t {
		m.After = other.ID
	}
	return g.taskEvent(emit, t, actor, m)
}

var genTitles = []string{"Fix login", "Write the release notes", "Ship the importer", "Refactor rank", "Speed up the board"}

func (g *logGenerator) edit(emit emitFunc, t *genTask, actor string) error {
	var p Payload
	switch g.r.IntN(8) {
	case 0:
		p = &TaskRetitled{From: t.Title, To: genTitles[g.r.IntN(len(genTitles))] + fmt.Sprintf(" (%d)", g.r.IntN(100))}
	case 1:
		p = &TaskDescribed{From: t.Description, To: fmt.Sprintf("Steps to reproduce:\n1. open the board\n2. step %d", g.r.IntN(1000))}
	case 2:
		to := ""
		if g.r.IntN(4) > 0 {
			to = g.editor(t.project)
		}
		p = &TaskAssigned{From: t.AssigneeID, To: to}
	case 3:
		p = &TaskTypeChanged{From: t.Type, To: TaskTypes[g.r.IntN(len(TaskTypes))]}
	case 4:
		p = &TaskPrioritized{From: t.Priority, To: Priorities[g.r.IntN(len(Priorities))]}
	case 5:
		p = &TaskLabeled{From: t.Labels, To: [][]string{{}, {"ui"}, {"api", "perf"}, {"ui", "a11y"}}[g.r.IntN(4)]}
	case 6:
		var to *float64
		if g.r.IntN(4) > 0 {
			pts := float64(g.r.IntN(8)) / 2
			to = &pts
		}
		p = &TaskPointed{From: t.Points, To: to}
	default:
		p = &TaskDueChanged{From: t.Due, To: []string{"", "2026-12-24", "2027-01-15", "2027-03-01"}[g.r.IntN(4)]}
	}
	return g.taskEvent(emit, t, actor, p)
}

// conflict records a refused move or title change of t by actor against its last change.
func (g *logGenerator) conflict(emit emitFunc, t *genTask, actor string) error {
	c := &TaskConflicted{TaskID: t.ID, BaseVersion: max(1, t.Version-1), CurrentVersion: t.Version}
	move := g.r.IntN(2) == 0
	if move {
		to := t.project.columns[g.r.IntN(len(t.project.columns))].ID
		c.Command = "move"
		c.Fields = []FieldConflict{{Field: FieldColumn, Yours: to, Theirs: t.ColumnID, ChangedBy: t.UpdatedBy, ChangedAt: t.UpdatedAt}}
		c.Wanted = map[Field]any{FieldColumn: to}
	} else {
		title := genTitles[g.r.IntN(len(genTitles))]
		c.Command = "edit"
		c.Fields = []FieldConflict{{Field: FieldTitle, Yours: title, Theirs: t.Title, ChangedBy: t.UpdatedBy, ChangedAt: t.UpdatedAt}}
		c.Wanted = map[Field]any{FieldTitle: title}
	}
	e, err := g.emit(emit, conflictStream(t.ID), actor, c)
	if err != nil {
		return err
	}
	g.pending = slices.DeleteFunc(g.pending, func(p genPending) bool { return p.task == t && p.actor == actor })
	g.pending = append(g.pending, genPending{task: t, actor: actor, seq: e.Seq, move: move})
	return nil
}

// answer answers a pending conflict: "theirs" alone, or "mine" after the change it applies.
func (g *logGenerator) answer(emit emitFunc) error {
	i := g.r.IntN(len(g.pending))
	pc := g.pending[i]
	g.pending = slices.Delete(g.pending, i, i+1)
	a := &ConflictAnswered{TaskID: pc.task.ID, ConflictSeq: pc.seq, Choice: AnswerTheirs, Command: "edit"}
	if pc.move {
		a.Command = "move"
	}
	if g.r.IntN(2) == 0 {
		a.Choice = AnswerMine
		var err error
		if pc.move {
			err = g.move(emit, pc.task, pc.actor)
		} else {
			err = g.taskEvent(emit, pc.task, pc.actor, &TaskRetitled{From: pc.task.Title, To: genTitles[g.r.IntN(len(genTitles))]})
		}
		if err != nil {
			return err
		}
	}
	_, err := g.emit(emit, conflictStream(pc.task.ID), pc.actor, a)
	return err
}

// sprint makes one planning action in t's project: creates a sprint, plans t into one
// (or back to the backlog), or starts, completes (carrying unfinished tasks to the
// backlog) or reopens one; tasks entering or leaving an active sprint are scope changes.
func (g *logGenerator) sprint(emit emitFunc, t *genTask, actor string) error {
	p := t.project
	active := slices.IndexFunc(p.sprints, func(s *genSprint) bool { return s.state == SprintActive })
	if len(p.sprints) == 0 || g.r.IntN(5) == 0 {
		sp := &genSprint{id: newID(), state: SprintPlanned}
		if _, err := g.emit(emit, sprintStream(sp.id), actor, &SprintCreated{ProjectID: p.id, Number: len(p.sprints) + 1,
			Name: fmt.Sprintf("%s Sprint %d", p.key, len(p.sprints)+1), Start: "2026-01-05", End: "2026-01-16"}); err != nil {
			return err
		}
		p.sprints = append(p.sprints, sp)
		return nil
	}
	sp := p.sprints[g.r.IntN(len(p.sprints))]
	inSprint := func() []*genTask {
		var out []*genTask
		for _, o := range g.tasks {
			if o.project == p && o.SprintID == sp.id && !o.Archived {
				out = append(out, o)
			}
		}
		return out
	}
	switch k := g.r.IntN(10); {
	case k < 6 && sp.state != SprintCompleted && !t.Archived && t.SprintID != sp.id:
		return g.planInto(emit, t, actor, sp.id)
	case k < 7 && t.SprintID != "" && !t.Archived:
		return g.planInto(emit, t, actor, "")
	case sp.state == SprintPlanned && active < 0:
		started := &SprintStarted{Start: "2026-01-05", End: "2026-01-16", Commitment: []SprintTask{}}
		for _, o := range inSprint() {
			started.Commitment = append(started.Commitment, SprintTask{TaskID: o.ID, Points: o.Points})
		}
		sp.state = SprintActive
		_, err := g.emit(emit, sprintStream(sp.id), actor, started)
		return err
	case sp.state == SprintActive:
		done := &SprintCompletedEvent{Completed: []SprintTask{}, NotCompleted: []CarriedTask{}}
		for _, o := range inSprint() {
			if o.ColumnID == p.columns[len(p.columns)-1].ID {
				done.Completed = append(done.Completed, SprintTask{TaskID: o.ID, Points: o.Points})
				continue
			}
			if err := g.taskEvent(emit, o, actor, &TaskSprintChanged{From: sp.id, To: "", CarriedOver: true}); err != nil {
				return err
			}
			done.NotCompleted = append(done.NotCompleted, CarriedTask{TaskID: o.ID, Points: o.Points})
		}
		sp.state = SprintCompleted
		_, err := g.emit(emit, sprintStream(sp.id), actor, done)
		return err
	case sp.state == SprintCompleted && active < 0:
		sp.state = SprintActive
		_, err := g.emit(emit, sprintStream(sp.id), actor, &SprintReopened{})
		return err
	}
	return g.move(emit, t, actor)
}

// planInto changes t's sprint, with the scope changes of active sprints it leaves or enters.
func (g *logGenerator) planInto(emit emitFunc, t *genTask, actor, to string) error {
	from := t.SprintID
	if err := g.taskEvent(emit, t, actor, &TaskSprintChanged{From: from, To: to}); err != nil {
		return err
	}
	for _, sc := range []struct{ id, change string }{{from, ScopeRemoved}, {to, ScopeAdded}} {
		i := slices.IndexFunc(t.project.sprints, func(s *genSprint) bool { return s.id == sc.id })
		if i < 0 || t.project.sprints[i].state != SprintActive {
			continue
		}
		if _, err := g.emit(emit, sprintStream(sc.id), actor, &SprintScopeChanged{TaskID: t.ID, Change: sc.change, Points: t.Points}); err != nil {
			return err
		}
	}
	return nil
}

// workflow renames a column or changes its WIP limit, or records such a change refused.
func (g *logGenerator) workflow(emit emitFunc, p *genProject) error {
	admin := g.users[slices.IndexFunc(g.users, func(u string) bool { return p.members[u] == RoleAdmin })]
	to := slices.Clone(p.columns)
	i := g.r.IntN(len(to))
	if g.r.IntN(4) == 0 {
		w := &WorkflowConflicted{BaseVersion: g.versions[projectStream(p.id)] - 1, CurrentVersion: g.versions[projectStream(p.id)],
			Conflicts: []WorkflowConflict{{ColumnID: to[i].ID, Column: to[i].Name, Attr: WorkflowWIP, Yours: "3", Theirs: fmt.Sprint(to[i].WIPLimit)}}}
		_, err := g.emit(emit, workflowConflictStream(p.id), admin, w)
		return err
	}
	if g.r.IntN(2) == 0 {
		to[i].WIPLimit = g.r.IntN(8)
	} else {
		to[i].Name = fmt.Sprintf("Stage %d", g.r.IntN(100))
	}
	if _, err := g.emit(emit, projectStream(p.id), admin, &WorkflowChanged{From: p.columns, To: to}); err != nil {
		return err
	}
	p.columns = to
	return nil
}

// membership changes the role of a member who is not an admin, or adds a user who is not
// a member yet.
func (g *logGenerator) membership(emit emitFunc, p *genProject) error {
	admin := g.users[slices.IndexFunc(g.users, func(u string) bool { return p.members[u] == RoleAdmin })]
	u := g.users[g.r.IntN(len(g.users))]
	switch role, ok := p.members[u]; {
	case !ok:
		return g.addMember(emit, p, admin, u, RoleViewer)
	case role == RoleMember:
		_, err := g.emit(emit, projectStream(p.id), admin, &MemberRoleChanged{UserID: u, From: role, To: RoleViewer})
		p.members[u] = RoleViewer
		p.editors = slices.DeleteFunc(p.editors, func(e string) bool { return e == u })
		return err
	case role == RoleViewer:
		_, err := g.emit(emit, projectStream(p.id), admin, &MemberRoleChanged{UserID: u, From: role, To: RoleMember})
		p.members[u] = RoleMember
		p.editors = append(p.editors, u)
		return err
	}
	return nil
}

// logWay says how generateLog writes its events and their read models.
type logWay int

const (
	// logLive: through the live write path, writer.append, which projects with project().
	logLive logWay = iota
	// logFast: events inserted with prepared statements and folded by the replay's
	// projector, many times faster for a large log.
	logFast
)

// generateLog writes a log of about n events to s, as way says, in commits of up to
// perCommit events: users, projects with tasksPerProject tasks each, then user actions.
func generateLog(tb testing.TB, s *Store, seed uint64, n, tasksPerProject, perCommit int, way logWay) *logGenerator {
	tb.Helper()
	ctx := context.Background()
	g := newLogGenerator(seed)
	pr := newReplayProjector(nil) // logFast's fold, kept across commits
	done := 0
	set := false
	for done < n || !set {
		_, err := s.writeTx(ctx, func(w *writer) error {
			var emit emitFunc
			if way == logLive {
				emit = func(stream string, expected int, actor string, at time.Time, p Payload) (Event, error) {
					w.now = at
					events, err := w.append(stream, expected, actor, p)
					if err != nil {
						return Event{}, err
					}
					return events[0], nil
				}
			} else {
				ptx := newPreparedTx(w.tx)
				defer ptx.Close()
				pr.tx = ptx
				emit = func(stream string, expected int, actor string, at time.Time, p Payload) (Event, error) {
					data, err := json.Marshal(p)
					if err != nil {
						return Event{}, err
					}
					e := Event{Stream: stream, Version: expected + 1, Type: p.EventType(), Actor: actor, At: at, Data: data}
					err = ptx.QueryRowx(w.d.appendEvent, e.Stream, e.Version, e.Type, e.Actor, formatTime(e.At), string(e.Data)).Scan(&e.Seq)
					if err != nil {
						return Event{}, err
					}
					return e, pr.apply(e, p)
				}
			}
			// The live path projects as it appends; the fast one folds in memory and
			// writes at the end of each commit.
			flush := func() error {
				if way == logFast {
					return pr.flush()
				}
				return nil
			}
			if !set {
				set = true
				if err := g.setup(emit, 20, 3, tasksPerProject); err != nil {
					return err
				}
				return flush()
			}
			for i := 0; i < perCommit && done < n; i++ {
				if err := g.step(emit); err != nil {
					return err
				}
				done++
			}
			return flush()
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return g
}
