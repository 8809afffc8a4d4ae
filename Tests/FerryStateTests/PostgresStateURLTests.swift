import FerryCore
import Testing

/// `state: postgres://…`: Ferry's own parameters are taken out, the password never shown.
@Suite struct PostgresStateURLTests {
    @Test func ferrysParametersAreRemovedAndTheRestGoesToLibpq() throws {
        let url = try PostgresStateURL(
            "postgresql://ferry:p%40ss@db.internal:6543/ops?sslmode=require&schema=tenant_7&lease_seconds=30")
        #expect(url.schema == "tenant_7")
        #expect(url.leaseSeconds == 30)
        #expect(url.connectionString == "postgresql://ferry:p%40ss@db.internal:6543/ops?sslmode=require")
        #expect(url.password == "p@ss")
        #expect(Set(url.secretValues) == ["p@ss", "p%40ss"])
        #expect(url.description == "postgres://db.internal:6543/ops (schema tenant_7)")
        let plain = try PostgresStateURL("postgres://ferry@localhost/ops")
        #expect(plain.schema == PostgresStateURL.defaultSchema && plain.leaseSeconds == 60 && plain.password == nil)
        #expect(plain.endpoint == "localhost:5432/ops")
    }

    @Test(arguments: [
        ("mysql://x@h/db", "must start with postgres://"),
        ("postgres:///db", "names no host"),
        ("postgres://u@h:5432/", "names no database"),
        ("postgres://u@h/db?schema=drop;table", "must be a plain identifier"),
        ("postgres://u@h/db?schema=1abc", "must be a plain identifier"),
        ("postgres://u@h/db?lease_seconds=0", "lease_seconds '0'"),
    ])
    func badURLsSayWhatIsWrong(text: String, message: String) {
        let error = #expect(throws: PostgresStateURLError.self) { _ = try PostgresStateURL(text) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
    }
}
