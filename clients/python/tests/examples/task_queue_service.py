from natsgw import NATSClient, TaskFailed
import json
import threading


class TaskQueue:
    """Distributed task queue on the gateway's task service (Celery replacement)"""

    def __init__(self, queue='tasks'):
        self.nats = NATSClient(user_id='task-queue')
        self.queue = queue  # created by the first enqueue; no stream to set up

    def enqueue_task(self, task_type, payload, priority='normal'):
        """Add task to queue (like Celery .delay()); returns its id"""
        task_id = self.nats.enqueue_task(self.queue, task_type, json.dumps(payload),
                                         priority=priority, max_retries=3)
        print(f"Task {task_type} enqueued - id: {task_id}")
        return task_id

    def process_tasks(self, concurrency=10, timeout_seconds=None, max_tasks=None):
        """Worker that processes tasks (like Celery worker): higher priorities
        first; a handler's return is the result, an exception a retry"""
        handlers = {t: self.execute_task for t in ('send_email', 'process_image', 'generate_report')}
        return self.nats.work(self.queue, handlers, concurrency=concurrency,
                              timeout_seconds=timeout_seconds, max_tasks=max_tasks)

    def execute_task(self, task):
        """Execute the actual task logic"""
        task_type = task['task_type']
        payload = json.loads(task['payload'])

        if task_type == 'send_email':
            print(f"Sending email to {payload['to']}")
            return f"sent to {payload['to']}"
        elif task_type == 'process_image':
            print(f"Processing image {payload['image_id']}")
            return json.dumps({'image_id': payload['image_id'], 'done': payload['operations']})
        elif task_type == 'generate_report':
            print(f"Generating {payload['report_type']} report")
        raise TaskFailed(f"unknown task type {task_type}")  # dead at once, no retries

    def result(self, task_id, wait_seconds=10):
        """The finished task (like Celery's AsyncResult.get), None if not done in time"""
        return self.nats.get_task_result(self.queue, task_id, wait_seconds=wait_seconds)


# Usage - Producer (enqueue tasks)
queue = TaskQueue()
email = queue.enqueue_task('send_email', {'to': 'user@example.com', 'subject': 'Welcome!'}, priority='high')
image = queue.enqueue_task('process_image', {'image_id': 'img_123', 'operations': ['resize']}, priority='normal')

# Usage - Worker (process tasks)
def worker():
    queue.process_tasks(concurrency=1, timeout_seconds=60, max_tasks=2)

w = threading.Thread(target=worker, daemon=True)
w.start()
w.join()  # here it stops after two tasks; a real worker runs as long as the service

# Usage - Results (from any process; result() waits up to 10 s for a task to finish)
for task_id in (email, image):
    r = queue.result(task_id)
    print(f"{r['task_type']}: {r['state']} {r['result'].decode()}")
