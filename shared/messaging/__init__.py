"""The event pipeline: envelope, outbox and relay on the producing side; consumer, inbox and redelivery on
the consuming side; the broker topology and connection between them."""
