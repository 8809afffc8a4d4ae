import CFerryPlugin
import FerryPluginSDK
import Glibc

/// Reads the next page on a thread of its own while the host writes the one it was just
/// given, so the API's latency and the parsing overlap the destination's work. One page
/// ahead at most: memory stays that of two pages.
///
/// Nothing moves early: the wrapped reader's state (cursor, paging) advances past a page
/// only when it reads it, each batch carries its own page's checkpoint, and a page read
/// ahead that the host never asks for is dropped with the reader, so a run stopped or killed
/// between two pages reads that page again from the last committed checkpoint.
final class PrefetchingReader: BatchReader {
    private let base: any BatchReader
    private var ahead: PageAhead?
    /// Off after the host refused a service to the thread (under process isolation it answers
    /// only during a call): the pages are then read in the host's calls, as without prefetch.
    private var enabled = true

    init(_ base: any BatchReader) { self.base = base }

    func next() throws -> RecordBatch? {
        var outcome = ahead.map { $0.outcome() } ?? Result { try base.next() }
        ahead = nil
        if case .failure(let error as PluginError) = outcome, error.status == FERRY_ERR_UNSUPPORTED, enabled {
            // A failed read moves nothing, so the same page is read again, now inside the call.
            enabled = false
            outcome = Result { try base.next() }
        }
        let batch = try outcome.get()
        if batch != nil && enabled { ahead = PageAhead(reading: base) }
        return batch
    }

    /// Asked once `next()` returned nil, when no page is being read ahead.
    var isComplete: Bool { base.isComplete }

    deinit {
        // The thread uses the wrapped reader: it must end before the reader goes.
        _ = ahead?.outcome()
    }
}

/// One `next()` of a reader running on a pthread of its own, and its outcome.
private final class PageAhead: @unchecked Sendable {
    private var thread = pthread_t()
    private var started = false
    private var result: Result<RecordBatch?, any Error>?
    private let reader: any BatchReader

    init(reading reader: any BatchReader) {
        self.reader = reader
        let retained = Unmanaged.passRetained(self).toOpaque()
        started =
            pthread_create(
                &thread, nil,
                { argument in
                    let page = Unmanaged<PageAhead>.fromOpaque(argument!).takeRetainedValue()
                    page.result = Result { try page.reader.next() }
                    return nil
                }, retained) == 0
        if !started { Unmanaged<PageAhead>.fromOpaque(retained).release() }
    }

    /// Waits for the read (the join orders the thread's writes before this thread's reads);
    /// a thread that could not start leaves the read to the caller's thread.
    func outcome() -> Result<RecordBatch?, any Error> {
        if started {
            pthread_join(thread, nil)
            started = false
        }
        if let result { return result }
        let outcome = Result { try reader.next() }
        result = outcome
        return outcome
    }
}
