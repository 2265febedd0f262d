from natsgw import NATSClient  # the import the brief's patterns assume
with NATSClient() as client:
    # Create stream for persistent messaging
    client.create_stream(
        name='EVENTS',
        subjects=['events.>'],
        max_msgs=100000,       # Keep last 100k messages
        max_bytes=10*1024*1024 # 10MB max storage
    )

    # Publish to stream (persisted)
    result = client.publish_to_stream(
        stream_name='EVENTS',
        subject='events.user.signup',
        data=b'New user registered'
    )
    print(f"Sequence: {result['sequence']}")

    # List all streams
    streams = client.list_streams()
    for stream in streams:
        print(f"{stream['name']}: {stream['messages']} messages")

    # Delete stream
    client.delete_stream('EVENTS')
