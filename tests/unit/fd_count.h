/*
 * fd_count - how many descriptors the test process has open, for the
 * suites that prove DNS queries release their sockets
 */
#ifndef FD_COUNT_H
#define FD_COUNT_H

/* fd_count - the open descriptors of this process (/proc/self/fd), not
 * counting the one used to read it; -1 when it cannot be read */
int fd_count(void);

#endif
