package store

import (
	"testing"

	"github.com/jmoiron/sqlx"
)

// BenchmarkLiveMoveProjection compares, in one run, the live fold of a move as it was
// (read the task back with its join, upsert all its columns) with projectMove (update
// only what a move changes). Each op projects one move in its own transaction.
func BenchmarkLiveMoveProjection(b *testing.B) {
	for _, form := range []struct {
		name    string
		project func(tx sqlx.Ext, id string, e Event, m *TaskMoved) error
	}{
		{"read-and-upsert", func(tx sqlx.Ext, id string, e Event, m *TaskMoved) error {
			cur, err := loadTask(tx, id)
			if err != nil {
				return err
			}
			next, err := applyTask(cur, e, m)
			if err != nil {
				return err
			}
			if err := saveTask(tx, next); err != nil {
				return err
			}
			if err := endPending(tx, id, e.Actor, fieldsOf(m)); err != nil {
				return err
			}
			return addHistory(tx, next.ProjectID, id, e)
		}},
		{"narrow-update", func(tx sqlx.Ext, id string, e Event, m *TaskMoved) error {
			return projector{tx: tx}.projectMove(id, e, m)
		}},
	} {
		b.Run(form.name, func(b *testing.B) {
			bd := mustBoard(b)
			task := bd.mustCreate(b, "Projected", colToDo)
			cols := []string{colInProgress, colToDo}
			version, i := task.Version, 0
			cpu := processCPU(b)
			for b.Loop() {
				tx, err := bd.s.write.Beginx()
				if err != nil {
					b.Fatal(err)
				}
				e := Event{Seq: int64(1_000_000 + i), Stream: taskStream(task.ID), Version: version + 1, Type: "task.moved",
					Actor: bd.ben, At: bd.s.Now()}
				m := &TaskMoved{FromColumn: cols[(i+1)%2], ToColumn: cols[i%2], ToRank: "m"}
				if err := form.project(tx, task.ID, e, m); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
				version++
				i++
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(i), "cpu-ns/op")
		})
	}
}
