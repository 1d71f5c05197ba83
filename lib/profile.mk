# profile: see lib/profile*.c
