package store

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkCardPlace reads one card's place on boards of 50 and 2,000 cards (four
// columns): its cost must barely grow with the board.
func BenchmarkCardPlace(b *testing.B) {
	for _, n := range []int{50, 2000} {
		b.Run(fmt.Sprintf("cards=%d", n), func(b *testing.B) {
			ctx := context.Background()
			bd := mustBoard(b)
			var mid *Task
			for i := range n {
				tk := bd.mustCreate(b, fmt.Sprintf("card %d", i), bd.p.Columns[i%len(bd.p.Columns)].ID)
				if i == n/2 {
					mid = tk
				}
			}
			for b.Loop() {
				if _, err := bd.s.CardPlace(ctx, mid.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
