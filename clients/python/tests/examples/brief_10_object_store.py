from natsgw import NATSClient  # the import the brief's patterns assume
with NATSClient() as client:
    bucket = 'documents'

    # Store objects (large binary data)
    doc_data = b'Document content' * 1000
    result = client.object_put(bucket, 'reports/q4.pdf', doc_data)
    print(f"Object ID: {result['object_id']}")

    # List objects in bucket
    objects = client.object_list(bucket)
    for obj in objects:
        print(f"{obj['name']}: {obj['size']} bytes")

    # Retrieve object
    result = client.object_get(bucket, 'reports/q4.pdf')
    if result:
        data = result['data']
        metadata = result['metadata']
        print(f"Retrieved {len(data)} bytes")

    # Delete object
    client.object_delete(bucket, 'reports/q4.pdf')
