#ifndef FERRY_SQLITE_BUFFERED_WAL_H
#define FERRY_SQLITE_BUFFERED_WAL_H

#include <stdint.h>

/* A VFS over SQLite's default one that gathers neighbouring writes into one call:
 * SQLite writes each WAL frame as two calls (its 24-byte header, then the page) and a
 * checkpoint copies each page with a call of its own, so a commit of 20,000 pages was
 * 40,000 `pwrite`s and its checkpoint 20,000 more, where a few hundred do.
 *
 * What reaches the files, and when, is unchanged wherever another connection or a crash
 * can observe it. A log's buffer is written before each sync of the log (a commit under
 * `synchronous=FULL`), before any read, size query or truncation that overlaps it, before
 * a write anywhere but at its end, and before the database's wal-index barrier and lock
 * calls (so no connection reads a frame still in memory). A checkpoint's page writes are
 * buffered between SQLITE_FCNTL_CKPT_START and SQLITE_FCNTL_CKPT_DONE only, and written
 * before it records how far it copied; if that last write fails the process stops (see
 * the source). Open only connections whose commits sync the log (`synchronous` FULL or
 * EXTRA) with it: a failed write then fails the commit, as it would without it.
 *
 * Every megabyte a log or a checkpoint writes, the kernel is told to start writing it to
 * the disk (`sync_file_range` without waiting), so that the commit's or the checkpoint's
 * own sync finds most of it written: a hint about when the disk works, never a sync. */

/* Registers the VFS once per process image and returns its name for `sqlite3_open_v2`,
 * or NULL when it could not be registered (open with the default VFS then). The name is
 * unique to the image, so a plugin's copy and the host's never stand in for each other. */
const char *ferry_buffered_wal_vfs(void);

/* The same VFS under a second name, for databases that stay in WAL mode: a WAL that SQLite
 * deletes (checkpointed completely, at the last connection's close) is kept with its header
 * cleared, unless it is larger than 64 MiB, so that the next process writes over its blocks
 * (see the source). A connection that may leave WAL mode (`journal_mode` to another value)
 * must use `ferry_buffered_wal_vfs`: a WAL file present puts a database back in WAL mode. */
const char *ferry_buffered_wal_keeping_vfs(void);

/* `sqlite3_file_control(db, "main", FERRY_BUFFERED_WAL_FCNTL_WRITES, &writes)` on a
 * connection opened through the VFS fills `writes` with the calls its buffers handed to
 * the default VFS so far (a buffer written, or a write past it): what the tests count.
 * Other connections answer SQLITE_NOTFOUND. */
#define FERRY_BUFFERED_WAL_FCNTL_WRITES 0x46455201

struct ferry_buffered_wal_writes {
    uint64_t log;           /* to the connection's WAL file */
    uint64_t database;      /* to its database file, by checkpoints */
    uint64_t logHints;      /* writeback started early on the WAL file (see the source) */
    uint64_t databaseHints; /* and on the database file, by checkpoints */
};

#endif
