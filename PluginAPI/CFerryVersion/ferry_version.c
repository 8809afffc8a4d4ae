/* SwiftPM needs one source file per C target; the version is header-only. */
