package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/natsgw/natsgw"
)

func newTaskCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "task",
		Short: "Task queues: enqueue, work, inspect, retry, schedule",
		Long: `Task queues of your organization (TaskService), kept in NATS: delayed and
periodic tasks, retries with backoff, priorities, results, rate limits.

A queue comes into being with its first task, schedule or worker. Task
types, unique ids and schedule names: letters, digits, '_' and '-'.`,
	}
	cmd.AddCommand(newTaskAddCmd(g), newTaskLsCmd(g), newTaskInfoCmd(g), newTaskRetryCmd(g),
		newTaskPurgeCmd(g), newTaskScheduleCmd(g), newTaskWorkCmd(g))
	return cmd
}

// jsonTask is the --json form of a task.
type jsonTask struct {
	ID         string              `json:"id"`
	Queue      string              `json:"queue"`
	Type       string              `json:"type"`
	State      string              `json:"state"`
	Priority   string              `json:"priority"`
	Payload    string              `json:"payload,omitempty"`
	Headers    map[string][]string `json:"headers,omitempty"`
	Retries    int                 `json:"retries"`
	MaxRetries int                 `json:"max_retries"`
	Timeout    string              `json:"timeout"`
	EnqueuedAt *time.Time          `json:"enqueued_at,omitempty"`
	RunAt      *time.Time          `json:"run_at,omitempty"`
	FinishedAt *time.Time          `json:"finished_at,omitempty"`
	Error      string              `json:"error,omitempty"`
	Result     string              `json:"result,omitempty"`
	Schedule   string              `json:"schedule,omitempty"`
}

var priorityNames = map[natsgw.TaskPriority]string{natsgw.TaskPriorityLow: "low", natsgw.TaskPriorityNormal: "normal", natsgw.TaskPriorityHigh: "high"}

func taskJSON(t *natsgw.Task) jsonTask {
	return jsonTask{
		ID: t.ID, Queue: t.Queue, Type: t.Type, State: t.State.String(), Priority: priorityNames[t.Priority],
		Payload: string(t.Payload), Headers: t.Header, Retries: t.Retries, MaxRetries: t.MaxRetries,
		Timeout: t.Timeout.String(), EnqueuedAt: optTime(t.EnqueuedAt), RunAt: optTime(t.RunAt),
		FinishedAt: optTime(t.FinishedAt), Error: t.Error, Result: string(t.Result), Schedule: t.Schedule,
	}
}

// taskOptionFlags are the flags of a task's optional properties.
type taskOptionFlags struct {
	delay, timeout, resultTTL time.Duration
	eta, priority, uniqueID   string
	maxRetries                int
}

func (f *taskOptionFlags) register(cmd *cobra.Command, schedule bool) {
	if !schedule {
		cmd.Flags().DurationVar(&f.delay, "delay", 0, "run no earlier than this long from now")
		cmd.Flags().StringVar(&f.eta, "eta", "", "run no earlier than this time (RFC 3339)")
		cmd.Flags().StringVar(&f.uniqueID, "unique-id", "", "the task's id; a task with this id is not enqueued twice")
	}
	cmd.Flags().StringVar(&f.priority, "priority", "normal", "low, normal or high")
	cmd.Flags().IntVar(&f.maxRetries, "max-retries", 3, "retries before a failing task is dead")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 30*time.Second, "how long after its worker vanished a task runs again")
	cmd.Flags().DurationVar(&f.resultTTL, "result-ttl", 24*time.Hour, "how long a result is kept")
}

func (f *taskOptionFlags) options() ([]natsgw.EnqueueOption, error) {
	opts := []natsgw.EnqueueOption{natsgw.WithMaxRetries(f.maxRetries), natsgw.WithTaskTimeout(f.timeout), natsgw.WithResultTTL(f.resultTTL)}
	var prio natsgw.TaskPriority
	for p, n := range priorityNames {
		if n == f.priority {
			prio = p
		}
	}
	if prio == 0 {
		return nil, fmt.Errorf("--priority: must be low, normal or high (got %q)", f.priority)
	}
	opts = append(opts, natsgw.WithPriority(prio))
	if f.delay != 0 {
		opts = append(opts, natsgw.WithDelay(f.delay))
	}
	if f.eta != "" {
		t, err := time.Parse(time.RFC3339, f.eta)
		if err != nil {
			return nil, fmt.Errorf("--eta: %w", err)
		}
		opts = append(opts, natsgw.WithETA(t))
	}
	if f.uniqueID != "" {
		opts = append(opts, natsgw.WithUniqueID(f.uniqueID))
	}
	return opts, nil
}

func newTaskAddCmd(g *globals) *cobra.Command {
	var f taskOptionFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add QUEUE TYPE [PAYLOAD|-]",
		Short: "Enqueue a task",
		Long: `Enqueue a task of TYPE on QUEUE, with PAYLOAD (or standard input with "-")
and prints its id (--json: {"id": ...}).`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options()
			if err != nil {
				return err
			}
			var payload []byte
			if len(args) == 3 {
				if payload, err = g.dataArg(args, 2); err != nil {
					return err
				}
			}
			return g.kvCall(cmd, "enqueue", func(ctx context.Context, c *natsgw.Client) error {
				id, err := c.Tasks(args[0]).Enqueue(ctx, args[1], payload, opts...)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, map[string]string{"id": id})
				}
				_, err = fmt.Fprintln(g.stdout, id)
				return err
			})
		},
	}
	f.register(cmd, false)
	jsonFlag(cmd, &asJSON, `print {"id": ...}`)
	return cmd
}

func newTaskLsCmd(g *globals) *cobra.Command {
	var asJSON bool
	var state string
	var limit int
	cmd := &cobra.Command{
		Use:   "ls [QUEUE]",
		Short: "List queues with their counts, or a queue's tasks in one state",
		Long: `Without QUEUE: every queue with its counts by state (--json: an array of
objects). With QUEUE: its tasks in --state (scheduled, queued, running,
retrying, succeeded, dead; default queued), oldest first, at most --limit.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.kvCall(cmd, "list tasks", func(ctx context.Context, c *natsgw.Client) error {
				if len(args) == 0 {
					return g.listQueues(ctx, c, asJSON)
				}
				st, err := natsgw.ParseTaskState(state)
				if err != nil {
					return err
				}
				list, err := c.Tasks(args[0]).List(ctx, st, limit)
				if err != nil {
					return err
				}
				if asJSON {
					out := make([]jsonTask, len(list))
					for i, t := range list {
						out[i] = taskJSON(t)
					}
					return writeJSON(g.stdout, out)
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tTYPE\tPRIORITY\tRETRIES\tERROR")
				for _, t := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\n", t.ID, t.Type, priorityNames[t.Priority], t.Retries, t.MaxRetries, t.Error)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&state, "state", "queued", "the tasks' state")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many tasks (0: all)")
	jsonFlag(cmd, &asJSON, "print JSON")
	return cmd
}

// jsonQueue is the --json form of a queue's counts.
type jsonQueue struct {
	Queue      string             `json:"queue"`
	Scheduled  int                `json:"scheduled"`
	Queued     int                `json:"queued"`
	Running    int                `json:"running"`
	Retrying   int                `json:"retrying"`
	Succeeded  int                `json:"succeeded"`
	Dead       int                `json:"dead"`
	Paused     bool               `json:"paused"`
	RateLimits map[string]float64 `json:"rate_limits,omitempty"`
}

func (g *globals) listQueues(ctx context.Context, c *natsgw.Client, asJSON bool) error {
	names, err := c.TaskQueues(ctx)
	if err != nil {
		return err
	}
	out := make([]jsonQueue, 0, len(names))
	for _, n := range names {
		s, err := c.Tasks(n).Stats(ctx)
		if err != nil {
			return err
		}
		out = append(out, jsonQueue{Queue: n, Scheduled: s.Scheduled, Queued: s.Queued, Running: s.Running,
			Retrying: s.Retrying, Succeeded: s.Succeeded, Dead: s.Dead, Paused: s.Paused, RateLimits: s.RateLimits})
	}
	if asJSON {
		return writeJSON(g.stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(g.stderr, "No task queues.")
		return nil
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "QUEUE\tSCHEDULED\tQUEUED\tRUNNING\tRETRYING\tSUCCEEDED\tDEAD")
	for _, q := range out {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\n", q.Queue, q.Scheduled, q.Queued, q.Running, q.Retrying, q.Succeeded, q.Dead)
	}
	return tw.Flush()
}

func newTaskInfoCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info QUEUE ID",
		Short: "Show one task",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.kvCall(cmd, "task "+args[1], func(ctx context.Context, c *natsgw.Client) error {
				t, err := c.Tasks(args[0]).Task(ctx, args[1])
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, taskJSON(t))
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintf(tw, "ID:\t%s\nType:\t%s\nState:\t%s\nPriority:\t%s\nRetries:\t%d of %d\n", t.ID, t.Type, t.State, priorityNames[t.Priority], t.Retries, t.MaxRetries)
				if t.Error != "" {
					fmt.Fprintf(tw, "Error:\t%s\n", t.Error)
				}
				if t.Result != nil {
					fmt.Fprintf(tw, "Result:\t%s\n", t.Result)
				}
				return tw.Flush()
			})
		},
	}
	jsonFlag(cmd, &asJSON, "print JSON")
	return cmd
}

func newTaskRetryCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "retry QUEUE ID",
		Short: "Run a dead task again",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.kvCall(cmd, "retry task "+args[1], func(ctx context.Context, c *natsgw.Client) error {
				return c.Tasks(args[0]).Retry(ctx, args[1])
			})
		},
	}
}

func newTaskPurgeCmd(g *globals) *cobra.Command {
	var states []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "purge QUEUE",
		Short: "Remove a queue's tasks (all, or those in --state)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var sts []natsgw.TaskState
			for _, s := range states {
				st, err := natsgw.ParseTaskState(s)
				if err != nil {
					return err
				}
				sts = append(sts, st)
			}
			return g.kvCall(cmd, "purge queue "+args[0], func(ctx context.Context, c *natsgw.Client) error {
				n, err := c.Tasks(args[0]).Purge(ctx, sts...)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, map[string]int{"purged": n})
				}
				_, err = fmt.Fprintf(g.stdout, "Purged %d tasks\n", n)
				return err
			})
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "states to purge (repeatable)")
	jsonFlag(cmd, &asJSON, `print {"purged": N}`)
	return cmd
}

func newTaskScheduleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Periodic tasks: add, ls, rm",
	}
	var f taskOptionFlags
	var cron, tz string
	var every time.Duration
	add := &cobra.Command{
		Use:   "add QUEUE NAME TYPE [PAYLOAD|-]",
		Short: "Create or replace a periodic task (--cron or --every)",
		Long: `Create or replace the periodic task NAME on QUEUE: a task of TYPE with
PAYLOAD at every tick of --cron (with seconds: "0 */5 * * * *", or @hourly,
@daily, ...; --tz for its time zone) or --every (whole seconds). It lives in
NATS: no beat process, it survives gateway restarts.`,
		Args: cobra.RangeArgs(3, 4),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options()
			if err != nil {
				return err
			}
			var payload []byte
			if len(args) == 4 {
				if payload, err = g.dataArg(args, 3); err != nil {
					return err
				}
			}
			return g.kvCall(cmd, "create schedule "+args[1], func(ctx context.Context, c *natsgw.Client) error {
				return c.Tasks(args[0]).Schedule(ctx, natsgw.ScheduleConfig{Name: args[1], Cron: cron, Every: every, TimeZone: tz, Type: args[2], Payload: payload, Options: opts})
			})
		},
	}
	f.register(add, true)
	add.Flags().StringVar(&cron, "cron", "", "cron expression with seconds")
	add.Flags().DurationVar(&every, "every", 0, "interval (whole seconds)")
	add.Flags().StringVar(&tz, "tz", "", "IANA time zone of --cron (default UTC)")
	var asJSON bool
	ls := &cobra.Command{
		Use:   "ls QUEUE",
		Short: "List a queue's periodic tasks",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.kvCall(cmd, "list schedules", func(ctx context.Context, c *natsgw.Client) error {
				list, err := c.Tasks(args[0]).Schedules(ctx)
				if err != nil {
					return err
				}
				type jsonSchedule struct {
					Name     string `json:"name"`
					Cron     string `json:"cron,omitempty"`
					Every    string `json:"every,omitempty"`
					TimeZone string `json:"time_zone,omitempty"`
					Type     string `json:"type"`
				}
				out := make([]jsonSchedule, len(list))
				for i, s := range list {
					out[i] = jsonSchedule{Name: s.Name, Cron: s.Cron, TimeZone: s.TimeZone, Type: s.Type}
					if s.Every != 0 {
						out[i].Every = s.Every.String()
					}
				}
				if asJSON {
					return writeJSON(g.stdout, out)
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tWHEN\tTYPE")
				for _, s := range out {
					when := s.Cron
					if s.Every != "" {
						when = "every " + s.Every
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, when, s.Type)
				}
				return tw.Flush()
			})
		},
	}
	jsonFlag(ls, &asJSON, "print a JSON array")
	rm := &cobra.Command{
		Use:   "rm QUEUE NAME",
		Short: "Stop and remove a periodic task",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.kvCall(cmd, "delete schedule "+args[1], func(ctx context.Context, c *natsgw.Client) error {
				return c.Tasks(args[0]).DeleteSchedule(ctx, args[1])
			})
		},
	}
	cmd.AddCommand(add, ls, rm)
	return cmd
}

// Exit codes of a `task work` command.
const (
	exitFail = 100 // the task is dead at once
)

func newTaskWorkCmd(g *globals) *cobra.Command {
	var types []string
	var concurrency, count int
	cmd := &cobra.Command{
		Use:   "work QUEUE -- COMMAND [ARGS...]",
		Short: "Run a command for each task of a queue",
		Long: `Work on QUEUE: for each task (of the --type types, or of every type), run
COMMAND with the task's payload on standard input and NATSGW_TASK_ID,
NATSGW_TASK_TYPE and NATSGW_TASK_RETRIES in its environment. Its exit status
decides the outcome: 0 succeeds (standard output is the result), 100 fails
the task for good, anything else retries it after its backoff (dead after
its max retries, with standard error as its error). Runs until interrupted
(then lets running commands finish) or, with --count, until that many tasks
are done.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			queue, command := args[0], args[1:]
			return g.withClient(cmd.Context(), func(c *natsgw.Client) error {
				done := make(chan struct{}, 1)
				var finished int
				handler := func(ctx context.Context, t *natsgw.Task) ([]byte, error) {
					defer func() {
						select {
						case done <- struct{}{}:
						default:
						}
					}()
					return runTaskCommand(ctx, command, t)
				}
				handlers := map[string]natsgw.TaskHandler{}
				if len(types) == 0 {
					handlers[""] = handler
				}
				for _, t := range types {
					handlers[t] = handler
				}
				ctx, cancel := g.call(cmd.Context())
				w, err := c.Tasks(queue).Work(ctx, handlers, concurrency)
				cancel()
				if err != nil {
					return g.callError("work on queue "+queue, err)
				}
				fmt.Fprintf(g.stderr, "Working on queue %q\n", queue)
				for count == 0 || finished < count {
					select {
					case <-cmd.Context().Done():
						count = -1
					case <-w.Done():
						return g.callError("work on queue "+queue, w.Err())
					case <-done:
						finished++
						continue
					}
					break
				}
				stop, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				return g.callError("stop working", w.Stop(stop))
			})
		},
	}
	cmd.Flags().StringSliceVar(&types, "type", nil, "task types to take (repeatable; default every type)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 1, "commands running at once")
	cmd.Flags().IntVar(&count, "count", 0, "stop after this many tasks (0: run until interrupted)")
	return cmd
}

// runTaskCommand runs command for task t; see newTaskWorkCmd.
func runTaskCommand(ctx context.Context, command []string, t *natsgw.Task) ([]byte, error) {
	c := exec.CommandContext(ctx, command[0], command[1:]...)
	c.Stdin = bytes.NewReader(t.Payload)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	c.Env = append(os.Environ(), "NATSGW_TASK_ID="+t.ID, "NATSGW_TASK_TYPE="+t.Type, "NATSGW_TASK_RETRIES="+strconv.Itoa(t.Retries))
	err := c.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.Bytes(), nil
	case errors.As(err, &exit) && exit.ExitCode() == exitFail:
		return nil, natsgw.Fail(errors.New(commandError(&stderr, err)))
	default:
		return nil, errors.New(commandError(&stderr, err))
	}
}

func commandError(stderr *bytes.Buffer, err error) string {
	if s := strings.TrimSpace(stderr.String()); s != "" {
		return s
	}
	return err.Error()
}
