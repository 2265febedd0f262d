package tenant

import (
	"fmt"
	"strings"
)

// Task queues (internal/tasks) are JetStream streams of the gateway's own,
// one per queue: named "<root>_<org>__tq_<queue>" (a name starting with "_",
// which no caller's stream may have) with subjects under
// "_natsgw.tq.<root>.<org>.<queue>.", outside every organization's subject
// space, so no caller reaches them through the messaging or stream calls.
//
// A queue with rate limits also has a counter stream (NATS counters cannot
// share a stream with schedules): "<root>_<org>__tqc_<queue>", subjects
// under "_natsgw.tqc.<root>.<org>.<queue>.".
const (
	taskQueueNamePrefix   = "_tq_"
	taskQueueToken        = internalToken + ".tq"
	taskCounterNamePrefix = "_tqc_"
	taskCounterToken      = internalToken + ".tqc"
)

// MaxTaskQueueLen is the longest queue name.
const MaxTaskQueueLen = MaxNameLen - len(taskQueueNamePrefix) - 4

// TaskQueue is one task queue of one organization: its stream's NATS name
// and its subject prefix. Build one with Mapper.TaskQueue; the zero value is
// not usable.
type TaskQueue struct {
	name, natsName, prefix     string
	counterName, counterPrefix string
}

// ValidateTaskQueue checks a queue name: ValidateName's rules, at most
// MaxTaskQueueLen characters.
func ValidateTaskQueue(queue string) error {
	if err := ValidateName(queue); err != nil {
		return err
	}
	if len(queue) > MaxTaskQueueLen {
		return fmt.Errorf("must be at most %d characters (got %d)", MaxTaskQueueLen, len(queue))
	}
	return nil
}

// TaskQueue returns org's task queue queue.
func (m Mapper) TaskQueue(org, queue string) (TaskQueue, error) {
	if err := ValidateTaskQueue(queue); err != nil {
		return TaskQueue{}, err
	}
	natsName, err := m.Name(org, taskQueueNamePrefix+queue)
	if err != nil {
		return TaskQueue{}, err
	}
	counterName, err := m.Name(org, taskCounterNamePrefix+queue)
	if err != nil {
		return TaskQueue{}, err
	}
	return TaskQueue{
		name:          queue,
		natsName:      natsName,
		prefix:        taskQueueToken + "." + m.root + "." + org + "." + queue + ".",
		counterName:   counterName,
		counterPrefix: taskCounterToken + "." + m.root + "." + org + "." + queue + ".",
	}, nil
}

// TaskQueueSpace returns the NATS pattern matching the subjects of every
// task queue of org ("_natsgw.tq.<root>.<org>.>").
func (m Mapper) TaskQueueSpace(org string) (string, error) {
	if err := checkOrg(org); err != nil {
		return "", err
	}
	return taskQueueToken + "." + m.root + "." + org + ".>", nil
}

// ClientTaskQueue maps a stream's NATS name back to org's queue name; ok is
// false when it is not a task queue of org.
func (m Mapper) ClientTaskQueue(org, natsName string) (string, bool) {
	name, ok := m.ClientName(org, natsName)
	if !ok {
		return "", false
	}
	queue, ok := strings.CutPrefix(name, taskQueueNamePrefix)
	if !ok || ValidateTaskQueue(queue) != nil {
		return "", false
	}
	return queue, true
}

// Name is the queue's name in the caller's view.
func (q TaskQueue) Name() string { return q.name }

// NATSName is the name of the queue's stream.
func (q TaskQueue) NATSName() string { return q.natsName }

// Subject returns the queue's subject made of tokens, which the caller
// (internal/tasks) has validated as subject tokens.
func (q TaskQueue) Subject(tokens ...string) string {
	return q.prefix + strings.Join(tokens, ".")
}

// CounterName is the name of the queue's counter stream.
func (q TaskQueue) CounterName() string { return q.counterName }

// CounterSubject returns the queue's counter subject made of tokens
// (validated by the caller).
func (q TaskQueue) CounterSubject(tokens ...string) string {
	return q.counterPrefix + strings.Join(tokens, ".")
}

// CounterSpace is the pattern of every counter subject of the queue.
func (q TaskQueue) CounterSpace() string { return q.counterPrefix + ">" }

// Space is the pattern of every subject of the queue.
func (q TaskQueue) Space() string { return q.prefix + ">" }

// Tokens splits a subject of the queue into its tokens after the prefix;
// ok is false for a subject outside the queue.
func (q TaskQueue) Tokens(natsSubject string) ([]string, bool) {
	rest, ok := strings.CutPrefix(natsSubject, q.prefix)
	if !ok || rest == "" {
		return nil, false
	}
	return strings.Split(rest, "."), true
}
