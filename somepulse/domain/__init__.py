"""The business rules of the field, pure (no I/O): page directory and office hours,
what an event signals (question, reply, engagement, reach), score and stop words."""
