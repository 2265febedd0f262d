from natsgw import NATSClient  # the import the brief's patterns assume
# Service that responds to requests
def handle_request(msg):
    # Process request and return response
    return b'Response data'

with NATSClient() as service:
    # Set up responder
    service.subscribe('api.users.get', handle_request, timeout_seconds=3600)

# Client that makes requests
with NATSClient() as client:
    response = client.request('api.users.get', b'user_id=123', timeout_seconds=5)
    if response:
        print(f"Got response: {response['data']}")
