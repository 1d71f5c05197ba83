/* Internal to clembed, and shared with its programs (clembed, clembed-tune), which compile
 * fileio.c in: whole-file reads with a size limit, atomic writes and mkdir -p.  They report
 * through an errno value and a message buffer rather than clembed_errmsg(), so that a program
 * built on the public library alone runs the same code as the library.  Messages name the
 * path and what failed ("profiles/x.json: cannot open: No such file or directory"). */
#ifndef CLEMBED_FILEIO_H
#define CLEMBED_FILEIO_H

#include <stddef.h>

/* Reads a whole regular file into a NUL-terminated malloc'ed buffer (*data, *len).  Returns 0
 * or an errno value: ENOENT when absent, EFBIG when larger than max_bytes, ENOMEM, or what the
 * system said.  msg (cap bytes, may be NULL) gets the reason. */
int clembed__fio_read(const char *path, size_t max_bytes, char **data, size_t *len, char *msg,
                      size_t cap);

/* Writes data to path through a temporary file in the same directory, flushed to the disk
 * before a rename (and the directory after it), so that a reader, a crash or a full disk
 * leaves the old file or the new one, never a torn one; two writers leave one whole file.
 * Returns 0 or an errno value, with the reason in msg. */
int clembed__fio_write_atomic(const char *path, const void *data, size_t len, char *msg, size_t cap);

/* mkdir -p with mode 0755: 0, or an errno value and msg naming the component that failed. */
int clembed__fio_mkdir_p(const char *path, char *msg, size_t cap);

#endif
