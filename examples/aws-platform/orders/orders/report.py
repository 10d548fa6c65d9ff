"""The nightly report job: prints what it would send."""

print("nightly report: 0 orders")
