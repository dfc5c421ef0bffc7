"""``make bench``: IAM calls, wall times, memory and parse times, measured on local moto servers (see run.py)."""
