package console

// methodKind says how the console may call a method.
type methodKind int

const (
	notAllowed  methodKind = iota
	unaryMethod            // POST /api/rpc/...
	listMethod             // GET /api/list/...: a finite server stream
	liveMethod             // GET /api/live/...: a long-lived server stream (SSE)
)

// allowed lists what the console's pages use. Everything else, including
// the request-reply and consumer-delivery calls, stays with the SDK and the
// CLI. A method listed here that this gateway does not have answers
// NotFound.
var allowed = map[string]methodKind{
	"/natsgw.v1.AdminService/Health":        unaryMethod,
	"/natsgw.v1.AdminService/GetStatistics": unaryMethod,

	"/natsgw.v1.StreamService/ListStreams":         unaryMethod,
	"/natsgw.v1.StreamService/GetStream":           unaryMethod,
	"/natsgw.v1.StreamService/PurgeStream":         unaryMethod,
	"/natsgw.v1.StreamService/DeleteStream":        unaryMethod,
	"/natsgw.v1.StreamService/GetStreamMessage":    unaryMethod,
	"/natsgw.v1.StreamService/DeleteStreamMessage": unaryMethod,
	"/natsgw.v1.StreamService/PublishToStream":     unaryMethod, // dead-letter replay

	"/natsgw.v1.ConsumerService/ListConsumers":  unaryMethod,
	"/natsgw.v1.ConsumerService/GetConsumer":    unaryMethod,
	"/natsgw.v1.ConsumerService/DeleteConsumer": unaryMethod,
	"/natsgw.v1.ConsumerService/PauseConsumer":  unaryMethod,
	"/natsgw.v1.ConsumerService/ResumeConsumer": unaryMethod,

	"/natsgw.v1.KeyValueService/ListBuckets":  unaryMethod,
	"/natsgw.v1.KeyValueService/GetBucket":    unaryMethod,
	"/natsgw.v1.KeyValueService/DeleteBucket": unaryMethod,
	"/natsgw.v1.KeyValueService/Get":          unaryMethod,
	"/natsgw.v1.KeyValueService/Put":          unaryMethod,
	"/natsgw.v1.KeyValueService/Delete":       unaryMethod,
	"/natsgw.v1.KeyValueService/Purge":        unaryMethod,
	"/natsgw.v1.KeyValueService/Keys":         listMethod,
	"/natsgw.v1.KeyValueService/History":      listMethod,
	"/natsgw.v1.KeyValueService/Watch":        liveMethod,

	"/natsgw.v1.ObjectStoreService/ListObjectBuckets":  unaryMethod,
	"/natsgw.v1.ObjectStoreService/DeleteObjectBucket": unaryMethod,
	"/natsgw.v1.ObjectStoreService/ListObjects":        unaryMethod,
	"/natsgw.v1.ObjectStoreService/GetObjectInfo":      unaryMethod,
	"/natsgw.v1.ObjectStoreService/DeleteObject":       unaryMethod,

	"/natsgw.v1.MessagingService/Subscribe": liveMethod, // the live tail

	// The task service.
	"/natsgw.v1.TaskService/ListQueues":     unaryMethod,
	"/natsgw.v1.TaskService/GetQueueStats":  unaryMethod,
	"/natsgw.v1.TaskService/ListTasks":      unaryMethod,
	"/natsgw.v1.TaskService/GetTask":        unaryMethod,
	"/natsgw.v1.TaskService/RetryTask":      unaryMethod,
	"/natsgw.v1.TaskService/CancelTask":     unaryMethod,
	"/natsgw.v1.TaskService/PurgeQueue":     unaryMethod,
	"/natsgw.v1.TaskService/PauseQueue":     unaryMethod,
	"/natsgw.v1.TaskService/ResumeQueue":    unaryMethod,
	"/natsgw.v1.TaskService/ListSchedules":  unaryMethod,
	"/natsgw.v1.TaskService/DeleteSchedule": unaryMethod,
}
