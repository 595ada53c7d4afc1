package store

import (
	"errors"
	"fmt"
	"time"
)

// Error codes shared by every layer; handlers map them to HTTP status codes.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EFORBIDDEN    = "forbidden"
	EUNAUTHORIZED = "unauthorized"
	EINTERNAL     = "internal"
	// EPRECONDITION: a strict precondition (HTTP If-Match) did not hold.
	EPRECONDITION = "precondition_failed"
)

// Error is a domain error whose Message is safe to show to the user.
type Error struct {
	Code    string
	Message string
	// Field names the input that is wrong, when one is; forms show the message beside it.
	Field string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted, user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// invalidField returns an EINVALID error about one named input.
func invalidField(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Message: fmt.Sprintf(format, args...), Field: field}
}

// ErrorCode returns the code of the first *Error or *ConflictError in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var ce *ConflictError
	if errors.As(err, &ce) {
		return ECONFLICT
	}
	var we *WorklogConflictError
	if errors.As(err, &we) {
		return ECONFLICT
	}
	var pe *PreconditionError
	if errors.As(err, &pe) {
		return EPRECONDITION
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err; internal errors get a generic one.
func ErrorMessage(err error) string {
	var ce *ConflictError
	if errors.As(err, &ce) {
		return ce.Error()
	}
	var we *WorklogConflictError
	if errors.As(err, &we) {
		return we.Error()
	}
	var pe *PreconditionError
	if errors.As(err, &pe) {
		return pe.Error()
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side. Please try again."
}

// ConflictError refuses a command because a field it changes was changed by someone else
// after the version the user saw. It carries what the user needs to decide.
type ConflictError struct {
	TaskID         string
	TaskKey        string
	Command        string // "move", "edit" or "plan" (its field is FieldSprint, values sprint ids, "" the backlog)
	BaseVersion    int
	CurrentVersion int
	Fields         []FieldConflict
	// Pending holds the command's other changes, which did not conflict but were not
	// applied either: a reconfirmation resubmits them with the conflicting fields.
	Pending map[Field]any
	// Task is the task as it is now, for showing "theirs" and resubmitting with its version.
	Task *Task
	// Seq is the position of the recorded conflict: it stays pending for its author
	// until answered (AnswerConflict) or overtaken by the author's own later change.
	Seq int64
}

// FieldConflict describes one field changed both by the user and, meanwhile, by someone else.
type FieldConflict struct {
	Field     Field     `json:"field"`
	Yours     any       `json:"yours"`
	Theirs    any       `json:"theirs"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
	Seq       int64     `json:"seq"`
}

func (e *ConflictError) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s changed since version %d", e.TaskKey, e.BaseVersion)
	}
	f := e.Fields[0]
	return fmt.Sprintf("%s: %s was changed by someone else since version %d; reconfirm with version %d",
		e.TaskKey, f.Field, e.BaseVersion, e.CurrentVersion)
}

// PreconditionError refuses a strict command (HTTP If-Match) because the task is no
// longer at the version the client named. Task is the task as it is now.
type PreconditionError struct {
	Expected int
	Task     *Task
}

func (e *PreconditionError) Error() string {
	return fmt.Sprintf("%s is at version %d, not %d: fetch it again and reapply your change", e.Task.Key, e.Task.Version, e.Expected)
}
