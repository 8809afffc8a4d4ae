// Placeholder: FilePlugin is being written.
