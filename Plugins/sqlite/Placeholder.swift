// Placeholder: SQLitePlugin is being written.
