package store

import (
	"context"
	"fmt"
	"testing"
)

// planningBench seeds a project of n tasks over four columns and five sprints (one
// completed, one active, three planned), a fifth of the tasks in each sprint after the
// completed one and the rest in the backlog.
func planningBench(b *testing.B, n int) (*planning, []*Task, []*Sprint) {
	bd := &planning{board: mustBoard(b), ctx: context.Background()}
	var sprints []*Sprint
	for range 5 {
		sprints = append(sprints, bd.sprint(b, ""))
	}
	var tasks []*Task
	for i := range n {
		sprint := ""
		if k := i % 5; k > 0 && k < 4 {
			sprint = sprints[k].ID
		}
		tasks = append(tasks, bd.task(b, fmt.Sprint("task ", i), bd.p.Columns[i%len(bd.p.Columns)].ID, float64(i%5), sprint))
	}
	bd.start(b, sprints[0].ID)
	if _, err := bd.s.CompleteSprint(bd.ctx, bd.ben, SprintCompletion{SprintID: sprints[0].ID, BaseVersion: bd.get(b, sprints[0].ID).Version}); err != nil {
		b.Fatal(err)
	}
	bd.start(b, sprints[1].ID)
	return bd, tasks, sprints
}

// BenchmarkBacklog reads the backlog page's lists (2,000 tasks, 5 sprints), beside the
// board's read of the same tasks (Tasks) as the yardstick: compare the two in one run.
func BenchmarkBacklog(b *testing.B) {
	bd, _, _ := planningBench(b, 2000)
	b.Run("backlog", func(b *testing.B) {
		for b.Loop() {
			if _, err := bd.s.Backlog(bd.ctx, bd.p.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("board-tasks", func(b *testing.B) {
		for b.Loop() {
			if _, err := bd.s.Tasks(bd.ctx, bd.p.ID, TaskFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPlanTask re-ranks a task of the backlog (to the top and back down) and moves
// one between the backlog and a planned sprint, on 50 and 2,000 tasks: the cost of a
// plan must barely grow with the project.
func BenchmarkPlanTask(b *testing.B) {
	for _, n := range []int{50, 2000} {
		for _, what := range []string{"rerank-backlog", "rerank-sprint", "to-sprint-and-back"} {
			b.Run(fmt.Sprintf("tasks=%d/%s", n, what), func(b *testing.B) {
				bd, tasks, sprints := planningBench(b, n)
				task := tasks[0] // in the backlog
				if what == "rerank-sprint" {
					task = tasks[2] // in a planned sprint
				}
				i := 0
				cpu := processCPU(b)
				for b.Loop() {
					pl := TaskPlan{TaskID: task.ID, BaseVersion: task.Version, Step: []Step{StepTop, StepBottom}[i%2]}
					if what == "to-sprint-and-back" {
						pl = TaskPlan{TaskID: task.ID, BaseVersion: task.Version, Sprint: Some([]string{sprints[3].ID, ""}[i%2])}
					}
					res, err := bd.s.PlanTask(bd.ctx, bd.ben, pl)
					if err != nil {
						b.Fatal(err)
					}
					task = res.Task
					i++
				}
				b.ReportMetric(float64(processCPU(b)-cpu)/float64(i), "cpu-ns/op")
			})
		}
	}
}
