"""The mail road: routing, composition, routes and the outbox."""
