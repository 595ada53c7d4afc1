package store

import (
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/sqlite3store"
)

// SessionStore keeps the web app's sessions (alexedwards/scs) in table sessions of the
// store's database, so that every instance on one PostgreSQL database serves any
// session. It is an scs.Store and scs.IterableStore.
type SessionStore interface {
	Find(token string) (b []byte, found bool, err error)
	Commit(token string, b []byte, expiry time.Time) error
	Delete(token string) error
	All() (map[string][]byte, error)
	// StopCleanup stops the removal of expired sessions every cleanup interval.
	StopCleanup()
}

// Sessions returns the session store on the store's database, removing expired
// sessions every cleanup (never when 0, and then no goroutine is started).
func (s *Store) Sessions(cleanup time.Duration) SessionStore {
	if s.d.postgres {
		return postgresstore.NewWithCleanupInterval(s.write.DB, cleanup)
	}
	return sqlite3store.NewWithCleanupInterval(s.write.DB, cleanup)
}
