import CFerryVersion

/// Ferry's release version, e.g. `0.1.0`.
///
/// Written once, in `PluginAPI/CFerryVersion/include/ferry_version.h`, because the
/// C reference plugin needs it too: `ferry --version` and every first-party
/// plugin's descriptor read it from there, so they never disagree.
public enum FerryVersion {
    /// The version of this build of Ferry.
    public static let current: String = FERRY_VERSION
}
