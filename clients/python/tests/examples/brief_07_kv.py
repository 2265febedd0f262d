from natsgw import NATSClient  # the import the brief's patterns assume
with NATSClient() as client:
    bucket = 'app-config'

    # Store configuration
    client.kv_put(bucket, 'database.host', b'localhost')
    client.kv_put(bucket, 'database.port', b'5432')
    client.kv_put(bucket, 'cache.ttl', b'300')

    # Retrieve value
    result = client.kv_get(bucket, 'database.host')
    if result:
        print(f"Value: {result['value'].decode()}")
        print(f"Revision: {result['revision']}")

    # List all keys in bucket
    keys = client.kv_keys(bucket)
    print(f"Keys: {keys}")

    # Delete key
    client.kv_delete(bucket, 'cache.ttl')
