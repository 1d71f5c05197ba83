# model: see lib/model*.c
