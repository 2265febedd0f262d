from natsgw import NATSClient
import json

class TaskQueue:
    """Distributed task queue using NATS JetStream"""

    def __init__(self, stream_name='TASKS'):
        self.nats = NATSClient(user_id='task-queue')
        self.stream_name = stream_name

        # Initialize JetStream
        with self.nats:
            self.nats.create_stream(
                name=stream_name,
                subjects=['tasks.>'],
                max_msgs=100000,
                max_bytes=100*1024*1024  # 100MB
            )

    def enqueue_task(self, task_type, payload, priority='normal'):
        """Add task to queue (like Celery .delay())"""
        with self.nats:
            task = {
                'task_type': task_type,
                'priority': priority,
                'payload': payload,
                'retry_count': 3
            }

            result = self.nats.publish_to_stream(
                self.stream_name,
                'tasks.processing',
                json.dumps(task).encode()
            )

            if result:
                print(f"Task {task_type} enqueued - sequence: {result['sequence']}")
                return result['sequence']
            return None

    def process_tasks(self, worker_name, batch_size=10):
        """Worker that processes tasks (like Celery worker)"""
        with self.nats:
            # Create consumer for this worker
            self.nats.create_consumer(
                stream_name=self.stream_name,
                consumer_name=worker_name,
                filter_subject='tasks.>'
            )

            while True:
                # Pull tasks from queue
                messages = self.nats.pull_messages(
                    stream_name=self.stream_name,
                    consumer_name=worker_name,
                    batch_size=batch_size
                )

                if not messages:
                    break

                # Process each task
                for msg in messages:
                    task = json.loads(msg['data'].decode())

                    # Execute task
                    self.execute_task(task)

                    # Acknowledge completion
                    self.nats.ack_message(
                        self.stream_name,
                        worker_name,
                        msg['sequence']
                    )

    def execute_task(self, task):
        """Execute the actual task logic"""
        task_type = task['task_type']
        payload = task['payload']

        if task_type == 'send_email':
            print(f"Sending email to {payload['to']}")
        elif task_type == 'process_image':
            print(f"Processing image {payload['image_id']}")
        elif task_type == 'generate_report':
            print(f"Generating {payload['report_type']} report")

# Usage - Producer (enqueue tasks)
queue = TaskQueue()
queue.enqueue_task('send_email', {'to': 'user@example.com', 'subject': 'Welcome!'}, priority='high')
queue.enqueue_task('process_image', {'image_id': 'img_123', 'operations': ['resize']}, priority='normal')

# Usage - Worker (process tasks)
import threading
def worker():
    queue.process_tasks('worker-1', batch_size=10)

threading.Thread(target=worker, daemon=True).start()
