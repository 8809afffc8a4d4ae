import FerryCLI

// Crash reports without register memory are put in force before `main`, by the
// CCrashReportSettings target this executable links (its `.preinit_array`).
FerryCommand.main()
