package store

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// BenchmarkMoveTask moves cards between two columns through the store (no HTTP, no
// live publishing) on boards of 50 and 2,000 cards: the cost of a move must not grow
// with the board. Cards move in turn so that no card's history grows without bound.
func BenchmarkMoveTask(b *testing.B) {
	for _, n := range []int{50, 2000} {
		b.Run(fmt.Sprintf("cards=%d", n), func(b *testing.B) {
			ctx := context.Background()
			bd := mustBoard(b)
			columns := []string{colToDo, colInProgress, colInReview, colDone}
			var tasks []*Task
			for i := range n {
				tasks = append(tasks, bd.mustCreate(b, fmt.Sprint("card ", i), columns[i%len(columns)]))
			}
			const moving = 40
			i := 0
			cpu := processCPU(b)
			for b.Loop() {
				t := tasks[i%moving]
				to := columns[(i/moving+1)%len(columns)]
				res, err := bd.s.MoveTask(ctx, bd.ben, TaskMove{TaskID: t.ID, BaseVersion: t.Version, ColumnID: to})
				if err != nil {
					b.Fatal(err)
				}
				tasks[i%moving] = res.Task
				i++
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(i), "cpu-ns/op")
		})
	}
}

// BenchmarkLogWork logs work (remaining estimate auto) through the store on boards of
// 50 and 2,000 cards: like a move, it reads the task and writes its events, never the
// board, so its cost must not grow with the board.
func BenchmarkLogWork(b *testing.B) {
	for _, n := range []int{50, 2000} {
		b.Run(fmt.Sprintf("cards=%d", n), func(b *testing.B) {
			ctx := context.Background()
			bd := mustBoard(b)
			var tasks []*Task
			est := int64(1000 * 3600)
			for i := range n {
				t, err := bd.s.CreateTask(ctx, bd.ana, NewTask{ProjectID: bd.p.ID, Title: fmt.Sprint("card ", i), Estimate: &est})
				if err != nil {
					b.Fatal(err)
				}
				tasks = append(tasks, t)
			}
			const logging = 40
			i := 0
			cpu := processCPU(b)
			for b.Loop() {
				if _, err := bd.s.LogWork(ctx, bd.ben, NewWorklog{TaskID: tasks[i%logging].ID, Date: "2026-11-02", Seconds: 900}); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(i), "cpu-ns/op")
		})
	}
}

// processCPU returns the CPU time (user + system) the test process has used: on a busy
// machine it varies less than the time a benchmark takes.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
