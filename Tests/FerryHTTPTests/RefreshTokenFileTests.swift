import FerryTesting
import Foundation
import Testing

@testable import FerryHTTP

/// `http.auth.refresh_token_file` takes the token as an earlier tool left it: a plain
/// text file, or an OAuth2 token answer saved as JSON (the Gazelle seed's `config/token.json`).
@Suite struct RefreshTokenFileTests {
    @Test func aPlainFileGivesItsTrimmedText() throws {
        let sandbox = try Sandbox()
        let path = try sandbox.write("refresh_token.txt", "  r-plain-1 \n")
        #expect(HTTPService.readRefreshTokenFile(path) == "r-plain-1")
    }

    @Test func aTokenJSONGivesItsRefreshToken() throws {
        let sandbox = try Sandbox()
        let path = try sandbox.write(
            "config/token.json",
            """
            {
              "access_token": "a-should-not-be-used",
              "token_type": "Bearer",
              "expires_in": 2592000,
              "refresh_token": "r-from-json",
              "created_at": 1755700000
            }
            """)
        #expect(HTTPService.readRefreshTokenFile(path) == "r-from-json")
    }

    @Test func aJSONFileWithoutARefreshTokenGivesNone() throws {
        let sandbox = try Sandbox()
        let path = try sandbox.write("token.json", #"{"access_token": "a-only", "refresh_token": ""}"#)
        #expect(HTTPService.readRefreshTokenFile(path) == nil)
        #expect(HTTPService.readRefreshTokenFile(sandbox.path("missing.json")) == nil)
    }
}
