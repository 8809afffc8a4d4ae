// Placeholder: FerryPluginSDK is being written.
