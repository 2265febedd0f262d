from natsgw import NATSClient  # the import the brief's patterns assume
# 6 lines
with NATSClient() as client:
    client.create_stream('TASKS', subjects=['tasks.>'], max_msgs=10000)
    client.publish_to_stream('TASKS', 'tasks.processing', b'task data')
    client.create_consumer('TASKS', 'worker', filter_subject='tasks.>')
    msgs = client.pull_messages('TASKS', 'worker', batch_size=10)
    for msg in msgs:
        client.ack_message('TASKS', 'worker', msg['sequence'])
