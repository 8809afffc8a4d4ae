import CFerryPlugin
import FerryLoader

/// What `ferry --version` prints: the release, the plugin ABI it loads, and the
/// Swift runtime a Swift plugin must share.
enum FerryVersion {
    /// The release.
    static let release = "0.1.0"

    /// `0.1.0 (plugin ABI 1.1, runtime swift-6.3.1)`.
    static var text: String {
        "\(release) (plugin ABI \(FERRY_ABI_MAJOR).\(FERRY_ABI_MINOR), runtime \(FerryRuntime.swiftRuntimeTag))"
    }
}
