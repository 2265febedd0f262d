from natsgw import NATSClient  # the import the brief's patterns assume
with NATSClient() as client:
    stream_name = 'TASKS'
    consumer_name = 'worker-1'

    # Create consumer
    client.create_consumer(
        stream_name=stream_name,
        consumer_name=consumer_name,
        filter_subject='tasks.processing'
    )

    # Pull messages from stream
    messages = client.pull_messages(
        stream_name=stream_name,
        consumer_name=consumer_name,
        batch_size=10
    )

    # Process and acknowledge
    for msg in messages:
        print(f"Processing: {msg['data'].decode()}")
        print(f"Sequence: {msg['sequence']}")
        print(f"Delivered: {msg['num_delivered']} times")

        # Process message...

        # Acknowledge after processing
        client.ack_message(stream_name, consumer_name, msg['sequence'])
