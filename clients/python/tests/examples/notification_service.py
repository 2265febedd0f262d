from natsgw import NATSClient
import json
import threading

class NotificationService:
    def __init__(self):
        self.nats = NATSClient(user_id='notification-service')
        self.running = False

    def start(self):
        """Start listening for notification events"""
        self.running = True

        with self.nats:
            # Subscribe to user events
            def handle_user_event(msg):
                event = json.loads(msg['data'].decode())
                self.send_notification(event)

            # Listen to all user events with wildcard
            client.subscribe('events.user.*', handle_user_event, timeout_seconds=3600)

    def send_notification(self, event):
        """Process and send notification"""
        if event['action'] == 'login':
            print(f"User {event['user_id']} logged in - sending welcome notification")
        elif event['action'] == 'purchase':
            print(f"User {event['user_id']} made purchase - sending receipt")

    def publish_event(self, event_type, data):
        """Publish events to the system"""
        with self.nats:
            subject = f'events.notification.{event_type}'
            self.nats.publish(subject, json.dumps(data).encode())

# Usage
service = NotificationService()
threading.Thread(target=service.start, daemon=True).start()

# Publish events from anywhere in your system
service.publish_event('email', {'to': 'user@example.com', 'subject': 'Welcome!'})
