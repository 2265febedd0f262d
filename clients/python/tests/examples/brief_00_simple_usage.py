from natsgw import NATSClient

# Connect and use (auto-discovers via Consul or use direct host)
with NATSClient(host='localhost', port=50056, user_id='your-service') as client:

    # 1. Basic Pub/Sub - Publish events
    client.publish('events.user.login', b'User logged in')

    # 2. Publish JSON events
    import json
    event = {'user_id': 'usr_123', 'action': 'login', 'timestamp': '2025-10-24T10:00:00Z'}
    client.publish('events.user.login', json.dumps(event).encode())

    # 3. Subscribe to events (with callback)
    def handle_message(msg):
        print(f"Received: {msg['subject']} - {msg['data']}")

    client.subscribe('events.user.*', handle_message, timeout_seconds=60)

    # 4. Request-Reply pattern (RPC)
    response = client.request('api.users.get', b'user_id=123', timeout_seconds=5)

    # 5. Key-Value Store (Redis replacement)
    client.kv_put('config', 'database.host', b'localhost')
    value = client.kv_get('config', 'database.host')

    # 6. JetStream - Persistent messaging
    client.create_stream('TASKS', subjects=['tasks.>'], max_msgs=10000)
    client.publish_to_stream('TASKS', 'tasks.processing', b'task data')
