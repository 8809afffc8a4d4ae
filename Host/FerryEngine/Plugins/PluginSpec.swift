import CFerryPlugin
import FerryJSON
import FerryLoader
import FerryPluginSDK

/// Reads a loaded plugin's spec (`{"config": <JSON Schema>, ...}`) through its `spec` slot.
public enum PluginSpec {
    public static func read(_ plugin: LoadedPlugin) throws -> JSONValue {
        guard let spec = plugin.api.pointee.spec else {
            throw WorkspaceError("\(plugin.path): plugin '\(plugin.name)' has no spec slot")
        }
        var buffer = ferry_buffer()
        var error = ferry_error.empty
        let status = spec(&buffer, &error)
        guard status == FERRY_OK else {
            throw WorkspaceError(
                "\(plugin.path): spec failed: \(PluginError(consuming: &error, status: status).message)")
        }
        let bytes = buffer.consumeBytes()
        do { return try JSONParser().parse(bytes) } catch {
            throw WorkspaceError("\(plugin.path): spec is not valid JSON: \(error)")
        }
    }
}
