// Placeholder: DemoPlugin is being written.
