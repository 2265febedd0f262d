from natsgw import NATSClient  # the import the brief's patterns assume
# Multiple workers sharing the same queue group
# Only ONE worker receives each message (load balanced)

def worker_1():
    with NATSClient(user_id='worker-1') as client:
        client.subscribe(
            'tasks.processing',
            handle_task,
            queue_group='workers',  # All workers in same group
            timeout_seconds=3600
        )

def worker_2():
    with NATSClient(user_id='worker-2') as client:
        client.subscribe(
            'tasks.processing',
            handle_task,
            queue_group='workers',  # Same group = load balanced
            timeout_seconds=3600
        )

# Start multiple workers
import threading
threading.Thread(target=worker_1, daemon=True).start()
threading.Thread(target=worker_2, daemon=True).start()

# Publish tasks - automatically distributed across workers
with NATSClient() as client:
    for i in range(100):
        client.publish('tasks.processing', f'Task {i}'.encode())
