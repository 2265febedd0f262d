package crash

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsgw/natsgw"
	"github.com/natsgw/natsgw/internal/testutil"
)

// natsToken is the operator credential of the nodes' NATS listeners, which
// the test uses to read the stream's replica state.
const natsToken = "crash-suite-operator-token"

// clusterSecret is what the nodes' routes authenticate with.
const clusterSecret = "crash-suite-cluster-secret"

// startCluster starts three `natsgw serve` processes whose embedded NATS
// servers form one cluster on loopback, and waits until they are ready. It
// returns them and their ports: cluster ports, then NATS client ports.
func startCluster(t *testing.T) ([]*gateway, []int) {
	t.Helper()
	ports := freePorts(t, 6)
	dir := t.TempDir()
	nodes := make([]*gateway, 3)
	for i := range nodes {
		var routes []string
		for j := range nodes {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[j]))
			}
		}
		nodes[i] = startGateway(t, []string{
			"--listen", "127.0.0.1:0", "--data", filepath.Join(dir, fmt.Sprint("n", i)),
			"--server-name", fmt.Sprint("n", i), "--cluster-name", "crash",
			"--cluster-listen", fmt.Sprintf("127.0.0.1:%d", ports[i]), "--routes", strings.Join(routes, ","),
			"--cluster-secret", clusterSecret,
			"--nats-listen", fmt.Sprintf("127.0.0.1:%d", ports[3+i]), "--nats-token", natsToken,
		})
	}
	for _, n := range nodes {
		n.waitReady(t)
	}
	return nodes, ports
}

// TestClusterNodeKilledMidPublish: three `natsgw serve` processes form an
// embedded NATS cluster on loopback; an R3 stream takes publishes through
// one node while another (the stream's leader when it can be) is killed with
// SIGKILL and, later, restarted. No acknowledged message may be missing, and
// the restarted node must catch up (current, no lag).
func TestClusterNodeKilledMidPublish(t *testing.T) {
	skipShort(t)
	nodes, ports := startCluster(t)
	ctx := within(t, 2*time.Minute)
	c0 := dial(t, nodes[0].addr)
	_, err := c0.CreateStream(ctx, natsgw.StreamConfig{Name: "R3", Subjects: []string{"events.>"}, Replicas: 3})
	testutil.NoErr(t, err, "create R3 stream")

	// The victim is the stream's leader; the publisher and the observer are
	// the node after it.
	info := replicaInfo(t, ports[3])
	victim := 2
	if _, err := fmt.Sscanf(info.Leader, "n%d", &victim); err != nil {
		t.Logf("leader %q: %v; killing n2", info.Leader, err)
	}
	via := (victim + 1) % 3
	c := dial(t, nodes[via].addr)

	stop := make(chan struct{})
	pubs := publishUntil(t, c, "R3", 2, stop)
	pubs.waitAcked(t, 500)
	nodes[victim].kill9(t)
	t.Logf("%s killed %s", time.Now().Format("15:04:05.000"), fmt.Sprint("n", victim))
	killedAt := pubs.n.Load()
	pubs.waitAcked(t, killedAt+500) // a new leader takes over
	nodes[victim] = nodes[victim].restart(t)
	restartedAt := pubs.n.Load()
	pubs.waitAcked(t, restartedAt+500)
	close(stop)
	pubs.wg.Wait()

	// The restarted node catches up.
	name := fmt.Sprint("n", victim)
	testutil.PollWithin(t, name+" catches up", 30*time.Second, func() error {
		info := replicaInfo(t, ports[3+via])
		if info.Leader == name {
			return nil
		}
		for _, r := range info.Replicas {
			if r.Name == name {
				if r.Current && r.Lag == 0 {
					return nil
				}
				return fmt.Errorf("replica %s: current %v, lag %d", name, r.Current, r.Lag)
			}
		}
		return fmt.Errorf("no replica %s among %+v (leader %s)", name, info.Replicas, info.Leader)
	})
	missing := pubs.missing(t, c, "R3")
	t.Logf("killed %s (stream leader: %v) after %d acknowledged publishes, restarted it after %d; acknowledged %d in all, acknowledged but missing %d; %s caught up",
		name, info.Leader == name, killedAt, restartedAt, len(pubs.acked), len(missing), name)
	if len(missing) > 0 {
		t.Errorf("acknowledged but missing: %v", head(missing))
	}
}

// replicaInfo reads the R3 stream's cluster state through the NATS listener
// on port.
func replicaInfo(t *testing.T, port int) *jetstream.ClusterInfo {
	t.Helper()
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port), nats.Token(natsToken))
	testutil.NoErr(t, err, "connect to the NATS listener")
	defer nc.Close()
	js, err := jetstream.New(nc)
	testutil.NoErr(t, err, "jetstream")
	var cluster *jetstream.ClusterInfo
	testutil.PollWithin(t, "stream info", 30*time.Second, func() error {
		ctx := within(t, 5*time.Second)
		s, err := js.Stream(ctx, "tenant_crash_R3")
		if err != nil {
			return err
		}
		info, err := s.Info(ctx)
		if err != nil {
			return err
		}
		if info.Cluster == nil {
			return errors.New("no cluster information")
		}
		cluster = info.Cluster
		return nil
	})
	return cluster
}

// TestClusterKilledDuringConsumeAck: every node of a 3-node cluster is
// killed with SIGKILL (one after the other, within milliseconds) while a
// limits-retention task queue is drained with confirmed acks (AckSync), then
// the cluster is restarted. A replicated (R3) consumer's acks go through its
// RAFT log, which NATS writes before it confirms them: no task whose ack was
// confirmed comes back. An R1 consumer in a cluster has no RAFT log and keeps
// its state like a single node: only acks confirmed within limitsAckWindow
// of the crash may come back. None is lost either way.
func TestClusterKilledDuringConsumeAck(t *testing.T) {
	skipShort(t)
	for _, replicas := range []int{3, 1} {
		t.Run(fmt.Sprintf("R%d", replicas), func(t *testing.T) {
			nodes, _ := startCluster(t)
			r := consumeAcrossCrash(t, dial(t, nodes[0].addr), natsgw.LimitsRetention, replicas, func() *natsgw.Client {
				for _, n := range nodes {
					n.kill9(t)
				}
				for i, n := range nodes {
					nodes[i] = startGateway(t, n.args)
				}
				for _, n := range nodes {
					n.waitReady(t)
				}
				return dial(t, nodes[0].addr)
			})
			t.Logf("cluster, limits, R%d: %s", replicas, r)
			if len(r.lost) > 0 {
				t.Errorf("lost tasks (never confirmed): %v", head(r.lost))
			}
			if replicas > 1 && len(r.again) > 0 {
				t.Errorf("tasks delivered again after a confirmed ack: %v", head(r.again))
			}
			if len(r.late) > 0 {
				t.Errorf("tasks delivered again although their ack was confirmed more than %s before the crash: %v", limitsAckWindow, head(r.late))
			}
		})
	}
}
