import Foundation

/// The permission bits of the file at `path` (0o600 and so on).
func permissions(of path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    guard let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue else {
        throw HarnessError("no mode for \(path)")
    }
    return mode
}
