#define _GNU_SOURCE /* sync_file_range */
#include "sqlite_buffered_wal.h"

#include <errno.h>
#include <fcntl.h> /* sync_file_range */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 29 frames of 4 KiB pages a write. The default VFS writes at most 128 KiB - 1 bytes a
 * call (its unix `seekAndWriteFd` masks the length with 0x1ffff, so a larger write fails
 * as SQLITE_FULL), and past a few dozen frames the call's cost is small against copying. */
enum { BUFFER_CAPACITY = 120 * 1024 };

/* After this many bytes of a log's writes or a checkpoint's, the kernel is asked to start
 * writing them to the disk (`sync_file_range`, SYNC_FILE_RANGE_WRITE: it does not wait), so
 * that the sync SQLite ends the commit or the checkpoint with finds most of them written
 * rather than starting on all of them (PostgreSQL's `checkpoint_flush_after` does the same).
 * Only when the sync comes is anything durable: the hint changes when the disk works, not
 * what a crash leaves. */
enum { WRITEBACK_AFTER = 1024 * 1024 };

typedef struct BufferedFile BufferedFile;

/* Every file opened through the VFS: the default VFS's file follows this header in the
 * same allocation (`szOsFile` covers both). A log buffers all its writes; a main database
 * file buffers only a checkpoint's page writes (ascending page numbers: neighbours are
 * one write), and knows its log, to write the log's buffer at its wal-index calls. */
struct BufferedFile {
    sqlite3_file base;
    sqlite3_file *real;
    BufferedFile *log;      /* a main database file: its log, while open through this VFS */
    BufferedFile *database; /* a log: its main database file, while open */
    unsigned char *buffer;  /* the bytes not yet written, from `start` on */
    sqlite3_int64 start;
    int used;
    int isLog;
    int checkpointing; /* a main database file between SQLITE_FCNTL_CKPT_START and _DONE */
    uint64_t writes;   /* calls handed to the default VFS from the buffer, or past it */
    int writebackFd;   /* the default VFS's descriptor of the file, for the writeback hints; -1: none */
    uint64_t hints;    /* writeback hints the kernel took */
    sqlite3_int64 unhintedFrom, unhintedTo; /* the span written since the last hint */
};

static sqlite3_vfs *underlying;
static sqlite3_vfs vfs;
static char vfsName[48];
static int registered;
static sqlite3_vfs keepingVfs; /* the same, but a deleted WAL's file is kept (keepingDelete) */
static char keepingVfsName[56];
static int keepingRegistered;
static pthread_once_t registration = PTHREAD_ONCE_INIT;

static sqlite3_file *real(sqlite3_file *file) { return ((BufferedFile *)file)->real; }

/* Starts the writeback of what a log or a checkpoint wrote once it reaches WRITEBACK_AFTER
 * bytes. A hint that fails is dropped: SQLite's own sync still writes everything. */
static void hintWriteback(BufferedFile *file, sqlite3_int64 offset, int amount) {
    if (file->writebackFd < 0 || !(file->isLog || file->checkpointing)) return;
    if (file->unhintedTo <= file->unhintedFrom) {
        file->unhintedFrom = offset;
        file->unhintedTo = offset;
    }
    if (offset < file->unhintedFrom) file->unhintedFrom = offset;
    if (offset + amount > file->unhintedTo) file->unhintedTo = offset + amount;
    if (file->unhintedTo - file->unhintedFrom < WRITEBACK_AFTER) return;
    if (sync_file_range(
            file->writebackFd, file->unhintedFrom, file->unhintedTo - file->unhintedFrom, SYNC_FILE_RANGE_WRITE)
        == 0)
        file->hints++;
    file->unhintedFrom = file->unhintedTo = 0;
}

static int writeThrough(BufferedFile *file, const void *data, int amount, sqlite3_int64 offset) {
    file->writes++;
    int rc = file->real->pMethods->xWrite(file->real, data, amount, offset);
    if (rc == SQLITE_OK) hintWriteback(file, offset, amount);
    return rc;
}

/* Writes the buffered bytes. On failure they stay buffered and the error is returned,
 * so the call that needed them on disk fails as a failed write would have. */
static int flush(BufferedFile *file) {
    if (file == NULL || file->used == 0) return SQLITE_OK;
    int rc = writeThrough(file, file->buffer, file->used, file->start);
    if (rc == SQLITE_OK) file->used = 0;
    return rc;
}

static int overlapsBuffer(const BufferedFile *file, sqlite3_int64 offset, sqlite3_int64 amount) {
    return file->used > 0 && offset < file->start + file->used && offset + amount > file->start;
}

/* --- the io methods --- */

static int bufferedClose(sqlite3_file *file) {
    BufferedFile *self = (BufferedFile *)file;
    int rc = flush(self); /* on failure the bytes are dropped with the file, as an unsynced write's can be */
    if (self->database != NULL && self->database->log == self) self->database->log = NULL;
    if (self->log != NULL) self->log->database = NULL;
    self->writebackFd = -1; /* the default VFS's own descriptor, closed by it */
    int closed = self->real->pMethods->xClose(self->real);
    free(self->buffer);
    self->buffer = NULL;
    self->used = 0;
    return rc != SQLITE_OK ? rc : closed;
}

static int bufferedRead(sqlite3_file *file, void *data, int amount, sqlite3_int64 offset) {
    BufferedFile *self = (BufferedFile *)file;
    if (overlapsBuffer(self, offset, amount)) {
        int rc = flush(self);
        if (rc != SQLITE_OK) return rc;
    }
    return self->real->pMethods->xRead(self->real, data, amount, offset);
}

static int bufferedWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    BufferedFile *self = (BufferedFile *)file;
    if (self->buffer == NULL || !(self->isLog || self->checkpointing)) {
        int rc = flush(self);
        return rc != SQLITE_OK ? rc : self->real->pMethods->xWrite(self->real, data, amount, offset);
    }
    if (self->used > 0 && offset >= self->start && offset + amount <= self->start + self->used) {
        /* A frame of the open transaction written again: it is still in the buffer. */
        memcpy(self->buffer + (offset - self->start), data, (size_t)amount);
        return SQLITE_OK;
    }
    if (self->used > 0 && offset + amount <= self->start) {
        /* Bytes before the buffer (a spilled page written again in place) go straight to
         * the file: before a sync, the order of writes to different bytes is not observable. */
        return writeThrough(self, data, amount, offset);
    }
    if (self->used > 0 && (offset != self->start + self->used || self->used + amount > BUFFER_CAPACITY)) {
        int rc = flush(self);
        if (rc != SQLITE_OK) return rc;
    }
    if (amount > BUFFER_CAPACITY) return writeThrough(self, data, amount, offset);
    if (self->used == 0) self->start = offset;
    memcpy(self->buffer + self->used, data, (size_t)amount);
    self->used += amount;
    return SQLITE_OK;
}

static int bufferedTruncate(sqlite3_file *file, sqlite3_int64 size) {
    BufferedFile *self = (BufferedFile *)file;
    int rc = flush(self);
    return rc != SQLITE_OK ? rc : self->real->pMethods->xTruncate(self->real, size);
}

static int bufferedSync(sqlite3_file *file, int flags) {
    BufferedFile *self = (BufferedFile *)file;
    int rc = flush(self);
    return rc != SQLITE_OK ? rc : self->real->pMethods->xSync(self->real, flags);
}

static int bufferedFileSize(sqlite3_file *file, sqlite3_int64 *size) {
    BufferedFile *self = (BufferedFile *)file;
    int rc = flush(self);
    return rc != SQLITE_OK ? rc : self->real->pMethods->xFileSize(self->real, size);
}

static int bufferedLock(sqlite3_file *file, int level) {
    int rc = flush((BufferedFile *)file);
    return rc != SQLITE_OK ? rc : real(file)->pMethods->xLock(real(file), level);
}

static int bufferedUnlock(sqlite3_file *file, int level) {
    int rc = flush((BufferedFile *)file);
    return rc != SQLITE_OK ? rc : real(file)->pMethods->xUnlock(real(file), level);
}

static int bufferedCheckReservedLock(sqlite3_file *file, int *result) {
    return real(file)->pMethods->xCheckReservedLock(real(file), result);
}

/* The last pages of a checkpoint could not be written. SQLite ignores this call's result
 * and goes on to record the copy as done, after which readers would read those pages from
 * the database file and a writer could start the log over them: the process stops first
 * (as PostgreSQL does when an fsync fails). The frames are still in the log, and the next
 * connection to open the database copies them again. */
static void stopAfterFailedCheckpoint(BufferedFile *file, int rc) {
    int error = errno;
    fprintf(stderr,
        "ferry: a SQLite checkpoint could not write its last %d bytes to the database file (SQLite error %d, "
        "errno %d); stopping so that they are copied again from the WAL when the database is next opened\n",
        file->used, rc, error);
    abort();
}

/* A checkpoint tells its database file when its copying starts and ends: its page writes
 * are buffered in between (a full buffer is written within the copy, where a failure
 * stops it) and the rest is written at the end, before it records how far it copied. */
static int bufferedFileControl(sqlite3_file *file, int op, void *argument) {
    BufferedFile *self = (BufferedFile *)file;
    if (op == FERRY_BUFFERED_WAL_FCNTL_WRITES) {
        struct ferry_buffered_wal_writes *writes = argument;
        writes->log = self->log != NULL ? self->log->writes : 0;
        writes->database = self->writes;
        writes->logHints = self->log != NULL ? self->log->hints : 0;
        writes->databaseHints = self->hints;
        return SQLITE_OK;
    }
    if (op == SQLITE_FCNTL_CKPT_START && !self->isLog) {
        if (self->buffer == NULL) self->buffer = malloc(BUFFER_CAPACITY);
        self->checkpointing = self->buffer != NULL;
    } else if (op == SQLITE_FCNTL_CKPT_DONE && self->checkpointing) {
        self->checkpointing = 0;
        int rc = flush(self);
        if (rc != SQLITE_OK) rc = flush(self);
        if (rc != SQLITE_OK) stopAfterFailedCheckpoint(self, rc);
    }
    return self->real->pMethods->xFileControl(self->real, op, argument);
}

static int bufferedSectorSize(sqlite3_file *file) { return real(file)->pMethods->xSectorSize(real(file)); }

static int bufferedDeviceCharacteristics(sqlite3_file *file) {
    return real(file)->pMethods->xDeviceCharacteristics(real(file));
}

static int bufferedShmMap(sqlite3_file *file, int region, int size, int extend, void volatile **mapped) {
    if (real(file)->pMethods->iVersion < 2) return SQLITE_IOERR_SHMMAP;
    return real(file)->pMethods->xShmMap(real(file), region, size, extend, mapped);
}

/* The wal-index's locks and barrier are called on the main database file. A commit
 * publishes its frames to readers across the barrier, and a writer's lock is released
 * through these calls: the log's buffer is written first, so no connection reads a frame
 * still in memory, or writes where a rolled-back transaction's frames would land later. */
static int bufferedShmLock(sqlite3_file *file, int offset, int count, int flags) {
    BufferedFile *self = (BufferedFile *)file;
    if (real(file)->pMethods->iVersion < 2) return SQLITE_IOERR_SHMLOCK;
    int rc = flush(self->log);
    if (rc != SQLITE_OK && (flags & SQLITE_SHM_UNLOCK) && self->log != NULL) {
        /* Frames still buffered when a lock is let go belong to a transaction that did not
         * commit (a commit's were written at its sync). Kept, they could later land on frames
         * another writer has since written where they were: they are dropped instead. */
        self->log->used = 0;
        rc = SQLITE_OK;
    }
    if (rc == SQLITE_OK) rc = flush(self);
    return rc != SQLITE_OK ? rc : self->real->pMethods->xShmLock(self->real, offset, count, flags);
}

static void bufferedShmBarrier(sqlite3_file *file) {
    BufferedFile *self = (BufferedFile *)file;
    (void)flush(self->log); /* a failure keeps the bytes; the commit's own sync reports it */
    (void)flush(self);
    if (real(file)->pMethods->iVersion >= 2) self->real->pMethods->xShmBarrier(self->real);
}

static int bufferedShmUnmap(sqlite3_file *file, int deleteFlag) {
    BufferedFile *self = (BufferedFile *)file;
    if (real(file)->pMethods->iVersion < 2) return SQLITE_OK;
    int rc = flush(self->log);
    if (rc == SQLITE_OK) rc = flush(self);
    return rc != SQLITE_OK ? rc : self->real->pMethods->xShmUnmap(self->real, deleteFlag);
}

static int bufferedFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **pointer) {
    int rc = flush((BufferedFile *)file); /* a mapped page is read without a call */
    if (rc != SQLITE_OK || real(file)->pMethods->iVersion < 3) {
        *pointer = NULL;
        return rc;
    }
    return real(file)->pMethods->xFetch(real(file), offset, amount, pointer);
}

static int bufferedUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *pointer) {
    if (real(file)->pMethods->iVersion < 3) return SQLITE_OK;
    return real(file)->pMethods->xUnfetch(real(file), offset, pointer);
}

static const sqlite3_io_methods methods = {
    3,
    bufferedClose,
    bufferedRead,
    bufferedWrite,
    bufferedTruncate,
    bufferedSync,
    bufferedFileSize,
    bufferedLock,
    bufferedUnlock,
    bufferedCheckReservedLock,
    bufferedFileControl,
    bufferedSectorSize,
    bufferedDeviceCharacteristics,
    bufferedShmMap,
    bufferedShmLock,
    bufferedShmBarrier,
    bufferedShmUnmap,
    bufferedFetch,
    bufferedUnfetch,
};

/* --- the VFS: files are wrapped; everything else goes to the default VFS as it is --- */

/* The descriptor the default VFS opened `name` with, or -1. Not a descriptor of our own:
 * closing a second descriptor of a database file would drop every POSIX lock this process's
 * connections hold on it. SQLite's unix VFS keeps its descriptor after the io methods, the
 * VFS and the inode's lock information (`unixFile`, the same since SQLite 3.7); it is used
 * only when the VFS is a unix one and the descriptor names the file just opened. */
static int descriptorOf(sqlite3_file *file, const char *name) {
    struct UnixFileHead {
        const sqlite3_io_methods *methods;
        sqlite3_vfs *vfs;
        void *inode;
        int descriptor;
    };
    if (strncmp(underlying->zName, "unix", 4) != 0) return -1;
    int descriptor = ((const struct UnixFileHead *)file)->descriptor;
    struct stat opened, named;
    if (descriptor < 0 || fstat(descriptor, &opened) != 0 || stat(name, &named) != 0) return -1;
    return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino ? descriptor : -1;
}

static int bufferedOpen(sqlite3_vfs *self, sqlite3_filename name, sqlite3_file *file, int flags, int *outFlags) {
    (void)self;
    BufferedFile *opened = (BufferedFile *)file;
    memset(opened, 0, sizeof(*opened));
    opened->real = (sqlite3_file *)&opened[1];
    opened->writebackFd = -1;
    int rc = underlying->xOpen(underlying, name, opened->real, flags, outFlags);
    if (opened->real->pMethods == NULL) return rc;
    opened->base.pMethods = &methods; /* xClose is then called even when the open failed */
    if (rc == SQLITE_OK && name != NULL && (flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_DB)) != 0) {
        opened->writebackFd = descriptorOf(opened->real, name);
    }
    if (rc != SQLITE_OK || (flags & SQLITE_OPEN_WAL) == 0) return rc;
    opened->isLog = 1;
    opened->buffer = malloc(BUFFER_CAPACITY); /* without one, the log is written through */
    sqlite3_file *database = name != NULL ? sqlite3_database_file_object(name) : NULL;
    if (database != NULL && database->pMethods == &methods) {
        opened->database = (BufferedFile *)database;
        opened->database->log = opened;
    }
    return rc;
}

static int forwardDelete(sqlite3_vfs *self, const char *name, int sync) {
    (void)self;
    return underlying->xDelete(underlying, name, sync);
}

/* SQLite deletes a WAL only once it was checkpointed completely and the database file synced,
 * by the last connection to close. The keeping VFS keeps such a file instead, with its header
 * cleared, so that the next process writes its frames over blocks the file system has already
 * allocated rather than allocating them again, and the close frees nothing (on ext4 with
 * `discard`, deleting a 36 MB WAL took 20 ms, and writing it afresh 10 ms more than over the
 * old one). A WAL without a valid header is an empty one to SQLite: the next connection's
 * recovery reads the header and no frame, and the next commit writes a new header, whose new
 * salt leaves the old frames invalid. If the cleared header does not reach the disk before a
 * crash, recovery replays frames whose pages the database file already holds. Past
 * KEPT_WAL_BYTES the file is deleted as before: cutting it shorter without a sync between the
 * clearing and the cut could leave a valid header over a partial log. */
enum { KEPT_WAL_BYTES = 64 * 1024 * 1024 };

static int keepingDelete(sqlite3_vfs *self, const char *name, int sync) {
    size_t length = strlen(name);
    if (length > 4 && strcmp(name + length - 4, "-wal") == 0) {
        /* O_NOFOLLOW, as SQLite opens its own files: a link put in the WAL's place is unlinked
         * below, as SQLite's delete would, and the file it points to is never written. */
        int descriptor = open(name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (descriptor >= 0) {
            static const unsigned char cleared[32]; /* WAL_HDRSIZE */
            struct stat status;
            int kept = fstat(descriptor, &status) == 0 && status.st_size <= KEPT_WAL_BYTES
                && (status.st_size == 0 || pwrite(descriptor, cleared, sizeof(cleared), 0) == (ssize_t)sizeof(cleared));
            close(descriptor);
            if (kept) return SQLITE_OK;
        }
    }
    return forwardDelete(self, name, sync);
}

static int forwardAccess(sqlite3_vfs *self, const char *name, int flags, int *result) {
    (void)self;
    return underlying->xAccess(underlying, name, flags, result);
}

static int forwardFullPathname(sqlite3_vfs *self, const char *name, int size, char *output) {
    (void)self;
    return underlying->xFullPathname(underlying, name, size, output);
}

static void *forwardDlOpen(sqlite3_vfs *self, const char *name) {
    (void)self;
    return underlying->xDlOpen(underlying, name);
}

static void forwardDlError(sqlite3_vfs *self, int size, char *message) {
    (void)self;
    underlying->xDlError(underlying, size, message);
}

static void (*forwardDlSym(sqlite3_vfs *self, void *library, const char *symbol))(void) {
    (void)self;
    return underlying->xDlSym(underlying, library, symbol);
}

static void forwardDlClose(sqlite3_vfs *self, void *library) {
    (void)self;
    underlying->xDlClose(underlying, library);
}

static int forwardRandomness(sqlite3_vfs *self, int size, char *output) {
    (void)self;
    return underlying->xRandomness(underlying, size, output);
}

static int forwardSleep(sqlite3_vfs *self, int microseconds) {
    (void)self;
    return underlying->xSleep(underlying, microseconds);
}

static int forwardCurrentTime(sqlite3_vfs *self, double *now) {
    (void)self;
    return underlying->xCurrentTime(underlying, now);
}

static int forwardGetLastError(sqlite3_vfs *self, int size, char *message) {
    (void)self;
    return underlying->xGetLastError ? underlying->xGetLastError(underlying, size, message) : 0;
}

static int forwardCurrentTimeInt64(sqlite3_vfs *self, sqlite3_int64 *now) {
    (void)self;
    return underlying->xCurrentTimeInt64(underlying, now);
}

static void registerVFS(void) {
    underlying = sqlite3_vfs_find(NULL);
    if (underlying == NULL || underlying->iVersion < 2) return;
    snprintf(vfsName, sizeof(vfsName), "ferry-buffered-wal-%p", (void *)&vfs);
    vfs.iVersion = 2;
    vfs.szOsFile = (int)sizeof(BufferedFile) + underlying->szOsFile;
    vfs.mxPathname = underlying->mxPathname;
    vfs.zName = vfsName;
    vfs.xOpen = bufferedOpen;
    vfs.xDelete = forwardDelete;
    vfs.xAccess = forwardAccess;
    vfs.xFullPathname = forwardFullPathname;
    vfs.xDlOpen = forwardDlOpen;
    vfs.xDlError = forwardDlError;
    vfs.xDlSym = forwardDlSym;
    vfs.xDlClose = forwardDlClose;
    vfs.xRandomness = forwardRandomness;
    vfs.xSleep = forwardSleep;
    vfs.xCurrentTime = forwardCurrentTime;
    vfs.xGetLastError = forwardGetLastError;
    vfs.xCurrentTimeInt64 = forwardCurrentTimeInt64;
    registered = sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
    if (!registered) return;
    keepingVfs = vfs;
    snprintf(keepingVfsName, sizeof(keepingVfsName), "ferry-buffered-wal-kept-%p", (void *)&keepingVfs);
    keepingVfs.zName = keepingVfsName;
    keepingVfs.xDelete = keepingDelete;
    keepingRegistered = sqlite3_vfs_register(&keepingVfs, 0) == SQLITE_OK;
}

const char *ferry_buffered_wal_vfs(void) {
    pthread_once(&registration, registerVFS);
    return registered ? vfsName : NULL;
}

const char *ferry_buffered_wal_keeping_vfs(void) {
    pthread_once(&registration, registerVFS);
    return keepingRegistered ? keepingVfsName : NULL;
}

