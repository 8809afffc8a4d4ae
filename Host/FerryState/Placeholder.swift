// Placeholder: FerryState is being written.
