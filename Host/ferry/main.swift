import FerryCLI

// First, before any plugin can crash the process: crash reports without register memory.
CrashReportSettings.enforce()
FerryCommand.main()
