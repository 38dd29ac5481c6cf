"""The SMTP relay service: pickup watcher, durable queue, delivery, reports, listener."""
