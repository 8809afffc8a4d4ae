import Foundation

extension FerryConfig {
    /// Reads, interpolates and checks a config file and the `.env` file beside it, if any.
    ///
    /// - Parameters:
    ///   - path: The config file, absolute or relative to the working directory. Error messages
    ///     name it as given.
    ///   - environment: The variables that take precedence over `.env`; the process environment by default.
    /// - Returns: The checked config, with absolute paths.
    /// - Throws: ``ConfigError`` naming the file, line, column and key path of the first problem.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> FerryConfig {
        let yaml = try ConfigFile.read(path)
        let folder = (path as NSString).deletingLastPathComponent
        let dotEnvPath = folder.isEmpty ? ".env" : (folder as NSString).appendingPathComponent(".env")
        var dotEnv: [String: String] = [:]
        if FileManager.default.fileExists(atPath: dotEnvPath) {
            dotEnv = try DotEnv.parse(ConfigFile.read(dotEnvPath, what: ".env file"), file: dotEnvPath)
        }
        return try parse(yaml: yaml, file: path, environment: environment, dotEnv: dotEnv)
    }

    /// Checks a config held in memory; used by ``load(path:environment:)`` and by tests.
    ///
    /// - Parameters:
    ///   - yaml: The file's text.
    ///   - file: The file's name for error messages; its folder (made absolute against the
    ///     working directory) is the base for relative paths.
    ///   - environment: Variables that take precedence over `dotEnv`.
    ///   - dotEnv: Variables as read from a `.env` file.
    /// - Returns: The checked config.
    /// - Throws: ``ConfigError`` naming the file, line, column and key path of the first problem.
    public static func parse(
        yaml: String, file: String = "ferry.yaml", environment: [String: String] = [:], dotEnv: [String: String] = [:]
    ) throws -> FerryConfig {
        let baseDirectory = URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.path
        let parser = ConfigParser(file: file, environment: environment, dotEnv: dotEnv)
        do {
            return try parser.document(yaml: yaml, baseDirectory: baseDirectory)
        } catch var error as ConfigError {
            error.message = redact(error.message, secrets: parser.interpolator.secretValues)
            throw error
        }
    }
}
