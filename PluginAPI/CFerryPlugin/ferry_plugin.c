/* SwiftPM needs one source file per C target; the ABI is header-only. */
