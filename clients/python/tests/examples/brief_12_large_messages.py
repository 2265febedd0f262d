from natsgw import NATSClient  # the import the brief's patterns assume
with NATSClient() as client:
    # Binary data
    binary_data = bytes(range(256))
    client.publish('data.binary', binary_data)

    # Large messages (tested with 1MB)
    large_msg = b'X' * (1024 * 1024)  # 1MB
    client.publish('data.large', large_msg)

    # Bulk publishing (1000 messages)
    for i in range(1000):
        client.publish('test.bulk', f'Message {i}'.encode())
