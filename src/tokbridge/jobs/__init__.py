"""Background jobs. The `job` table is the record; the queue (Huey) only carries job ids.

Only `tokbridge.jobs.queue` imports the queue library.
"""
