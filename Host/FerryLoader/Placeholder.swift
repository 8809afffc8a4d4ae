// Placeholder: FerryLoader is being written.
