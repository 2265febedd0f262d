from natsgw import NATSClient  # the import the brief's patterns assume
with NATSClient() as client:
    messages = [
        {'subject': 'events.batch.1', 'data': b'Message 1'},
        {'subject': 'events.batch.2', 'data': b'Message 2'},
        {
            'subject': 'events.batch.3',
            'data': b'Message 3',
            'headers': {'priority': 'high'}
        }
    ]

    result = client.publish_batch(messages)
    print(f"Published {result['published_count']} messages")
