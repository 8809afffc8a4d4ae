// Placeholder: FerryEngine is being written.
