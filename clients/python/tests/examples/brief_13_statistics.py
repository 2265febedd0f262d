from natsgw import NATSClient  # the import the brief's patterns assume
with NATSClient() as client:
    # Get NATS statistics
    stats = client.get_statistics()
    print(f"Total Streams: {stats['total_streams']}")
    print(f"Total Consumers: {stats['total_consumers']}")
    print(f"Total Messages: {stats['total_messages']}")
    print(f"Connections: {stats['connections']}")
    print(f"Messages In: {stats['in_msgs']}")
    print(f"Messages Out: {stats['out_msgs']}")

    # List all streams
    streams = client.list_streams()
    for stream in streams:
        print(f"{stream['name']}: {stream['messages']} messages, {stream['bytes']} bytes")
