# encoder: see lib/encoder*.c
